/**
 * Payment card numbers typed into a conversation are masked before the text is stored, so no copy
 * of them exists anywhere in Switchboard: not in the database, the event log, webhooks or an agent's
 * screen. Only the last four digits stay, which is what a card's holder and an agent need to talk
 * about it (and what PCI DSS allows to be displayed).
 *
 * A card number here is 13 to 19 digits, written together or in groups separated by single spaces
 * or dashes, starting with 2–6 (the major networks' ranges) and passing the Luhn check. Inside a
 * longer run of digit groups (a card number followed by its expiry), every span of whole groups is
 * tried, longest first, so the card number is found without masking its neighbours.
 */

const DIGIT_GROUPS = /\d+(?:[ -]\d+)*/g;
const MIN_DIGITS = 13;
const MAX_DIGITS = 19;

/** The text with each card number's digits but the last four replaced by `*`. */
export function maskCardNumbers(text: string): string {
  return text.replace(DIGIT_GROUPS, maskRun);
}

function maskRun(run: string): string {
  const groups = [...run.matchAll(/\d+/g)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const chars = run.split("");
  let first = 0;
  while (first < groups.length) {
    const span = cardSpan(run, groups, first);
    if (!span) {
      first++;
      continue;
    }
    const digits = positionsOfDigits(run, groups[first]!.start, groups[span.last]!.end);
    for (const position of digits.slice(0, -4)) chars[position] = "*";
    first = span.last + 1;
  }
  return chars.join("");
}

/** The longest span of whole groups starting at `first` that reads as a card number. */
function cardSpan(
  run: string,
  groups: Array<{ start: number; end: number }>,
  first: number,
): { last: number } | undefined {
  let found: { last: number } | undefined;
  let digits = "";
  for (let last = first; last < groups.length; last++) {
    digits += run.slice(groups[last]!.start, groups[last]!.end);
    if (digits.length > MAX_DIGITS) break;
    if (digits.length >= MIN_DIGITS && isCardNumber(digits)) found = { last };
  }
  return found;
}

function positionsOfDigits(run: string, start: number, end: number): number[] {
  const positions: number[] = [];
  for (let i = start; i < end; i++) if (run[i]! >= "0" && run[i]! <= "9") positions.push(i);
  return positions;
}

function isCardNumber(digits: string): boolean {
  const lead = digits.charCodeAt(0) - 48;
  return lead >= 2 && lead <= 6 && luhnValid(digits);
}

/** The Luhn checksum: doubling every second digit from the right, the sum is a multiple of 10. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
