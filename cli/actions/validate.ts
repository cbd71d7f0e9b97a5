import { loadScenario, summarizeScenario } from '../../model/scenario.js';

export function validate(file: string): void {
  const s = loadScenario(file);
  console.log(`ok ${summarizeScenario(s)}`);
}
