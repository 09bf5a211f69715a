/** Thrown when `start` is called for a running id or `stop` for an id that is not running. */
export class SandboxRunStateError extends Error {
  override name = 'SandboxRunStateError';
  constructor(
    message: string,
    readonly sandboxId: string,
  ) {
    super(message);
  }
}
