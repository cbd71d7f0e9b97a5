import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startInfra } from '../../infra/infra.js';
import { embeddedS3Credentials } from '../../objectstore/embedded-s3/index.js';
import { readInfraConfig } from '../../util/config.js';

/** The embedded S3 server's keys: no well-known default; a random pair per data folder unless the environment sets one. */
const work = mkdtempSync(join(tmpdir(), 'fogsim-s3keys-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('embedded S3 credentials', () => {
  it('generates a random pair per folder, stable across calls, different between folders', () => {
    const a = embeddedS3Credentials(join(work, 'a'));
    expect(a.source).toBe('generated');
    expect(embeddedS3Credentials(join(work, 'a'))).toEqual({ ...a, source: 'stored' });
    const b = embeddedS3Credentials(join(work, 'b'));
    expect(b.credentials.accessKey).not.toBe(a.credentials.accessKey);
    expect(b.credentials.secretKey).not.toBe(a.credentials.secretKey);
  });

  it('takes the configured pair, and names the file of a broken one', () => {
    expect(embeddedS3Credentials(join(work, 'c'), { accessKey: 'x', secretKey: 'y' })).toEqual({ credentials: { accessKey: 'x', secretKey: 'y' }, source: 'environment' });
    mkdirSync(join(work, 'c'));
    writeFileSync(join(work, 'c', '.credentials.json'), '{"accessKey":1}');
    expect(() => embeddedS3Credentials(join(work, 'c'))).toThrow(/\.credentials\.json: not a credentials file .*delete it/);
  });

  it("an embedded session uses the data folder's pair, prints it, and hands it to the nodes", async () => {
    const cfg = readInfraConfig({ FOGSIM_DATA_DIR: join(work, 'session') });
    const first = await startInfra(cfg, { proxyPort: 0 });
    let keys: { ak?: string; sk?: string };
    try {
      keys = { ak: first.cfg.s3AccessKey, sk: first.cfg.s3SecretKey };
      expect(keys.ak).toMatch(/^fogsim-[0-9a-f]{12}$/);
      expect(first.describe.join('\n')).toContain(`access key ${keys.ak}, secret key ${keys.sk}`);
      expect(first.nodeEnv()).toMatchObject({ FOGSIM_S3_ACCESS_KEY: keys.ak, FOGSIM_S3_SECRET_KEY: keys.sk });
      await first.objects.ensureBucket('node-1'); // the controller's own client signs with them
    } finally {
      await first.close();
    }
    const second = await startInfra(cfg, { proxyPort: 0 });
    try {
      expect([second.cfg.s3AccessKey, second.cfg.s3SecretKey]).toEqual([keys.ak, keys.sk]);
      expect(await second.objects.listBuckets()).toEqual(['node-1']);
    } finally {
      await second.close();
    }
  });
});
