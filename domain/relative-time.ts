/** How long ago (or how far ahead) an ISO time is, for people: `12s ago`, `in 5m`, `3d ago`. */
export function relativeTime(iso: string | undefined, now: Date): string | undefined {
  if (!iso) return undefined;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.round((at - now.getTime()) / 1000);
  const magnitude = Math.abs(seconds);
  const amount =
    magnitude < 60
      ? `${magnitude}s`
      : magnitude < 3_600
        ? `${Math.floor(magnitude / 60)}m`
        : magnitude < 86_400
          ? `${Math.floor(magnitude / 3_600)}h`
          : `${Math.floor(magnitude / 86_400)}d`;
  return seconds > 0 ? `in ${amount}` : `${amount} ago`;
}
