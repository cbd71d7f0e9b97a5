import { describe, expect, it } from 'vitest';
import { UserError } from '../../model/errors.js';
import { openObjectStore, parseS3Endpoint } from '../../objectstore/open.js';
import { readInfraConfig } from '../../util/config.js';

describe('openObjectStore', () => {
  it('uses FOGSIM_S3_ENDPOINT with the configured keys when set', () => {
    const store = openObjectStore(readInfraConfig({ FOGSIM_S3_ENDPOINT: 'http://10.0.0.5:19000', FOGSIM_S3_ACCESS_KEY: 'ak', FOGSIM_S3_SECRET_KEY: 'sk' }), { endpoint: { host: '127.0.0.1', port: 1 }, credentials: false });
    expect(store.endpoint).toEqual({ host: '10.0.0.5', port: 19000 });
    expect(store.options).toMatchObject({ accessKey: 'ak', secretKey: 'sk', useSSL: false });
  });

  it("uses the embedded endpoint with the embedded server's keys when FOGSIM_S3_ENDPOINT is unset", () => {
    const store = openObjectStore(readInfraConfig({}), { endpoint: { host: '127.0.0.1', port: 4567 }, credentials: { accessKey: 'emb', secretKey: 'emb-secret' } });
    expect(store.endpoint).toEqual({ host: '127.0.0.1', port: 4567 });
    expect(store.options).toMatchObject({ accessKey: 'emb', secretKey: 'emb-secret' });
  });

  it('has no well-known default keys: an external endpoint without them is a UserError naming the variables', () => {
    expect(readInfraConfig({})).toMatchObject({ s3AccessKey: undefined, s3SecretKey: undefined });
    expect(() => openObjectStore(readInfraConfig({ FOGSIM_S3_ENDPOINT: 'http://10.0.0.5:19000' }))).toThrow(/FOGSIM_S3_ACCESS_KEY and FOGSIM_S3_SECRET_KEY: unset/);
  });

  it('fails with a UserError when neither is available', () => {
    expect(() => openObjectStore(readInfraConfig({}))).toThrow(UserError);
    expect(() => openObjectStore(readInfraConfig({}))).toThrow(/FOGSIM_S3_ENDPOINT is unset and no embedded S3 server/);
  });

  it('rejects a malformed endpoint naming the variable and the expected form', () => {
    expect(() => parseS3Endpoint('ftp://h:21')).toThrow(/FOGSIM_S3_ENDPOINT: protocol "ftp:" is not supported; expected http:\/\/host:port/);
    expect(() => parseS3Endpoint('not a url')).toThrow(/FOGSIM_S3_ENDPOINT: "not a url" is not a URL; expected http:\/\/host:port/);
    expect(() => parseS3Endpoint('http://h:9000/bucket')).toThrow(/has a path/);
    expect(parseS3Endpoint('https://s3.example.org')).toEqual({ host: 's3.example.org', port: 443, useSSL: true });
    expect(parseS3Endpoint('http://[::1]:9000')).toEqual({ host: '::1', port: 9000, useSSL: false });
  });
});
