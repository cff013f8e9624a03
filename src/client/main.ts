/** Placeholder until the terminal client lands: `papo connect` is being written. */
export async function runConnect(_args: string[]): Promise<number> {
  process.stderr.write("papo connect: not available in this build yet\n");
  return 1;
}
