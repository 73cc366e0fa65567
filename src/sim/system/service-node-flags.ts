/**
 * V8's young generation of a service process, in MiB per semi-space (V8's default cap is 16).
 *
 * A busy service allocates fast and keeps little, so V8 doubles its young generation step by step
 * as survivors accumulate, up to its cap: 1, 2, 4, 8, 16 MiB per semi-space, the later steps
 * minutes apart. Over a soak that looked like growth per order: a kitchen worker or the payment
 * service went from 75 to 105 MiB between minute 5 and minute 30 (`bench soak`), its old
 * generation flat. Capped at 4 MiB the step is a few MiB, taken in the first minute. Measured back
 * to back (`bench pipeline --mode processes --rates 50,100`, twice each way) it cost no CPU that
 * showed: 27.4 and 29.4 ms per order at 50/s with the cap, 28.7 and 30.2 without.
 */
export const SERVICE_SEMI_SPACE_MIB = 4;

/**
 * The node flags a service process is started with (before the script): the young generation's
 * cap, unless NODE_OPTIONS already sizes it (the user's choice wins).
 */
export function serviceNodeFlags(env: NodeJS.ProcessEnv): string[] {
  if (/--(max|min)-semi-space-size/.test(env.NODE_OPTIONS ?? "")) return [];
  return [`--max-semi-space-size=${SERVICE_SEMI_SPACE_MIB}`];
}
