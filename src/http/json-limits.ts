/**
 * Shape limits checked on the raw JSON text before it is parsed (security review, issue 13 item 3):
 * deeply nested bodies made later recursive walks overflow the stack (500), and objects with
 * huge numbers of members amplified into huge validation answers. One pass over the text,
 * tracking strings so brackets and colons inside them do not count.
 */
export const MAX_JSON_DEPTH = 32;
export const MAX_OBJECT_MEMBERS = 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/** Why the text exceeds a limit, or undefined when it does not (malformed JSON is left to the parser). */
export function jsonShapeViolation(text: string): string | undefined {
  // members[d] counts the members of the object open at depth d (-1 for an array).
  const members: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (members.length >= MAX_JSON_DEPTH) return `nests deeper than ${MAX_JSON_DEPTH} levels`;
      members.push(c === OPEN_OBJECT ? 0 : -1);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) members.pop();
    else if (c === COLON) {
      const top = members.length - 1;
      const n = members[top];
      if (n !== undefined && n >= 0) {
        if (n >= MAX_OBJECT_MEMBERS)
          return `has an object with more than ${MAX_OBJECT_MEMBERS.toLocaleString('en-US')} members`;
        members[top] = n + 1;
      }
    }
  }
  return undefined;
}
