/** One figure of a benchmark; `ratio` compares `value` with a `baseline` measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  /** the target from the issue, e.g. ">= 4x" */
  target?: string;
  note?: string;
}
