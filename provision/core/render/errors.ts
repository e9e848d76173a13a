/** A file of a host that could not be rendered: the host, the template (or file) and why. */
export class RenderError extends Error {
  constructor(readonly host: string, readonly template: string, message: string) {
    super(`${host}: template ${template}: ${message}`);
    this.name = 'RenderError';
  }
}
