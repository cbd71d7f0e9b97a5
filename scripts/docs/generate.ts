// npm run docs: writes the generated references under docs/.
import { writeFileSync } from 'node:fs';
import { scenarioReference } from '../../model/scenario-reference.js';

writeFileSync('docs/scenario.md', scenarioReference());
console.log('wrote docs/scenario.md');
