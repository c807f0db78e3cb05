export function greet(word: string): string {
  return `${word} from node`
}
