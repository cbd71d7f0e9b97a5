export { startEmbeddedS3, type EmbeddedS3, type EmbeddedS3Options } from './server.js';
export { describeKeys, embeddedS3Credentials, type S3Credentials, type ResolvedCredentials } from './credentials.js';
