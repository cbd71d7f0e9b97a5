import { loadScenario, summarizeScenario } from '../../model/scenario.js';

export function validate(file: string): void {
  const s = loadScenario(file);
  // the sizes of a generated or imported topology, counted (summarizeScenario: links one per pair)
  console.log(`ok ${summarizeScenario(s)}`);
}
