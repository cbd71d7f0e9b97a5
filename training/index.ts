/** Offline training of the impact vectors: what `fogsim up` / `fogsim run` need to train first. */
export { trainScenario, checkTrainOptions, drawLatencies, type TrainOptions, type TrainResult, type TrainingEvent, type AppSummary, type TrainingInfra, type AppMeasurer } from './train.js';
export { missingVectors, describeMissing, requiredLabels, orderedPairs, type MissingVectors } from './labels.js';
export { importVectors, type ImportOptions } from './import.js';
export { readVectorDir, writeVectorFile, parseVectorText, formatVector } from './files.js';
export { trainingInfraFrom, trainingObjectKey } from './infra.js';
