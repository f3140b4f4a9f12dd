export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
}

export const FORMATS = {
  lint: ['text', 'json', 'github'],
  test: ['text', 'json', 'github'],
  simulate: ['text', 'json', 'markdown'],
  explain: ['text', 'json'],
  diff: ['text', 'json', 'markdown'],
} as const;
