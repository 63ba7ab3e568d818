/** The `host[:port]` part of an absolute URL, without credentials; safe to show in summaries and logs. */
export function displayHost(url: string): string {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? url;
  return authority.slice(authority.lastIndexOf('@') + 1);
}
