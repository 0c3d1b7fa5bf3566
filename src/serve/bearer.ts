/** Constant-time comparison of the bearer token (SHA-256 of both, compared in full). */
export async function bearerMatches(header: string | null, token: string): Promise<boolean> {
  const m = /^Bearer (.+)$/i.exec(header ?? "");
  const given = m?.[1] ?? "";
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(given)),
    crypto.subtle.digest("SHA-256", enc.encode(token)),
  ]);
  const x = new Uint8Array(a), y = new Uint8Array(b);
  let diff = m ? 0 : 1;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}
