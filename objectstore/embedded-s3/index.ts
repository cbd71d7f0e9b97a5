export { startEmbeddedS3, type EmbeddedS3, type EmbeddedS3Options } from './server.js';
