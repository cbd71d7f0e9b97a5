/*
 * The blood-test record of the original data set (shared/datasets/file1.json.gz), field by field,
 * in its order. Ranges and decimals were measured on the original (553,729 records: every field
 * present in every record, every numeric field a number; no dirty values). Numbers are written
 * the way the original was (Python's float repr): rounded to `decimals`, trailing zeros dropped
 * but a float keeps one decimal ("266.0"); integers have none.
 */
export type FieldSpec =
  | { name: string; kind: 'number'; min: number; max: number; decimals: number }
  | { name: string; kind: 'ssn' | 'date' | 'gender' | 'diagnosis' };

export const FIELDS: readonly FieldSpec[] = [
  { name: 'ssn', kind: 'ssn' },
  { name: 'date', kind: 'date' },
  { name: 'gender', kind: 'gender' },
  { name: 'RBCs', kind: 'number', min: 3535.3, max: 4489.4, decimals: 1 },
  { name: 'WBCs', kind: 'number', min: 1384840.5, max: 3702996.9, decimals: 1 },
  { name: 'platelets', kind: 'number', min: 144497.1, max: 452986.3, decimals: 1 },
  { name: 'Hct', kind: 'number', min: 0.351, max: 0.586, decimals: 3 },
  { name: 'Hgb', kind: 'number', min: 2, max: 23, decimals: 0 },
  { name: 'cholesterol', kind: 'number', min: 76.8, max: 275.3, decimals: 1 },
  { name: 'HDL cholesterol', kind: 'number', min: 12.6, max: 98.9, decimals: 1 },
  { name: 'LDL cholesterol', kind: 'number', min: 82.95, max: 266, decimals: 2 },
  { name: 'triglycerides', kind: 'number', min: 101, max: 498, decimals: 0 },
  { name: 'DiagnosisCode', kind: 'diagnosis' },
  { name: 'MCV', kind: 'number', min: 10, max: 99, decimals: 0 },
  { name: 'MCH', kind: 'number', min: 25, max: 35, decimals: 0 },
  { name: 'Sodium', kind: 'number', min: 124.6, max: 149.3, decimals: 1 },
  { name: 'Potassium', kind: 'number', min: 3.07, max: 6.62, decimals: 2 },
  { name: 'Calcium', kind: 'number', min: 8, max: 15, decimals: 0 },
  { name: 'Creatinine', kind: 'number', min: 0.05, max: 1.915, decimals: 3 },
  { name: 'Phosphorus', kind: 'number', min: 2.05, max: 4.93, decimals: 2 },
  { name: 'Neutrophils', kind: 'number', min: 0.34, max: 0.64, decimals: 2 },
  { name: 'Lymphocytes', kind: 'number', min: 820, max: 4772, decimals: 0 },
  { name: 'Monocytes', kind: 'number', min: 2.4, max: 10.9, decimals: 1 },
  { name: 'Eosinophiles', kind: 'number', min: 25, max: 346, decimals: 0 },
  { name: 'Basophils', kind: 'number', min: 0.33, max: 4.59, decimals: 2 },
  { name: 'RDW', kind: 'number', min: 8, max: 17.9, decimals: 1 },
  { name: 'MPV', kind: 'number', min: 7, max: 14.5, decimals: 1 },
  { name: 'CMP', kind: 'number', min: 5.18, max: 9.95, decimals: 2 },
  { name: 'ALT', kind: 'number', min: 13, max: 100, decimals: 0 },
  { name: 'Albumin', kind: 'number', min: 1, max: 19, decimals: 0 },
  { name: 'Globulin', kind: 'number', min: 897, max: 2878, decimals: 0 },
  { name: 'Chloride', kind: 'number', min: 81.8, max: 116.4, decimals: 1 },
];

/** test dates of the original: 4/9/2019 .. 2/20/2020 (M/D/YYYY, no leading zeros) */
export const DATE_FROM = Date.UTC(2019, 3, 9);
export const DATE_TO = Date.UTC(2020, 1, 20);
