/** `scheme://host:port/db` with any password removed, for messages. */
export function describeUrl(raw: string): string {
  const url = new URL(raw);
  url.password = '';
  return url.toString().replace(/\/$/, '');
}
