/** What hostile labels carry to a terminal, and how a test finds any of it left raw in text output. */

/** An SGR colour, a line feed, a carriage return and a right-to-left override. */
export const HOSTILE = '\u001b[31m\n\r\u202e';

/** Every character a terminal would act on, but the line breaks a formatter writes itself. */
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * A label value that would be markup in a pull-request comment (a link, an image, emphasis, a
 * table cell, a code span's end, a bare URL) and control characters in a terminal.
 */
export const HOSTILE_MARKDOWN = 'nginx](https://evil.example/x) <img src=x onerror=alert(1)> **bold** | `tick` www.evil.example \u001b[31m\nnext';
