import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A fresh 256-bit secret, hex-encoded. One per dev server. */
export function createToken(): string {
  return randomBytes(32).toString("hex");
}

/** What the worker stores instead of the token: its SHA-256, hex-encoded. */
export function digestToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Whether `presented` is the token, compared in constant time (as digests, so lengths never differ). */
export function tokenMatches(presented: string, token: string): boolean {
  const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(presented), digest(token));
}
