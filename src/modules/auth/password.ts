import { hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { AppError } from '../../shared/errors';

// argon2id with the OWASP-recommended minimum cost (19 MiB, 2 passes, 1 lane).
const ARGON2 = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** Hashes a password with argon2id. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

/** Checks a password against its argon2id hash; false on any mismatch or malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let common: Set<string> | undefined;

/** The ~49,000 most common passwords, from the zxcvbn-ts word lists installed with Folio. */
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  return common;
}

export const MAX_PASSWORD_LENGTH = 256;

/**
 * Returns the rules a new password breaks, in words a user understands: an empty list
 * means it is acceptable.
 */
export function passwordProblems(password: string, opts: { minLength: number; email?: string; name?: string }): string[] {
  const problems: string[] = [];
  if (password.length < opts.minLength) problems.push(`Use at least ${opts.minLength} characters.`);
  if (password.length > MAX_PASSWORD_LENGTH) problems.push(`Use at most ${MAX_PASSWORD_LENGTH} characters.`);
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) problems.push('This password is one of the most commonly used passwords; choose another.');
  else if (/^(.)\1+$/.test(password)) problems.push('Do not repeat a single character.');
  const local = opts.email?.split('@')[0]?.toLowerCase();
  if ((local && local.length >= 3 && lower.includes(local)) || (opts.email && lower === opts.email.toLowerCase())) {
    problems.push('Do not use your email address in your password.');
  }
  return problems;
}

/** Throws `weak_password` naming every rule the password breaks. */
export function assertPasswordPolicy(password: string, opts: { minLength: number; email?: string; name?: string }): void {
  const problems = passwordProblems(password, opts);
  if (problems.length) {
    throw new AppError('weak_password', `Password rejected: ${problems.join(' ')}`, { details: { problems } });
  }
}
