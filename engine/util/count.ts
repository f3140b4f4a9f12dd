/** A number with its noun in the right number: "1 policy", "2 policies", "0 alerts". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
