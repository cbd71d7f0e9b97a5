import mysql from 'mysql2/promise';

/**
 * A fresh, empty database beside the one `url` names (scripts/real/mariadb.sh grants fogsim_*),
 * so a real-tier run starts from the scenario's placement; returns its URL.
 */
export async function scratchDatabase(url: string, tag: string): Promise<string> {
  const u = new URL(url);
  const name = `fogsim_${tag}_${process.pid}`;
  const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await conn.end();
  }
  u.pathname = `/${name}`;
  return u.toString();
}
