import { createHash, randomBytes } from "node:crypto";

/** A fresh 256-bit secret, hex-encoded. One per dev server. */
export function createToken(): string {
  return randomBytes(32).toString("hex");
}

/** What the worker stores instead of the token: its SHA-256, hex-encoded. */
export function digestToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
