'use client';

import { LoaderCircle } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { buttonStyles } from '@/components/button';
import { TextField } from '@/components/text-field';

async function signIn(email: string, password: string): Promise<string | null> {
  // The username route: accounts' usernames are their emails, including admin@localhost,
  // which better-auth's email route would reject.
  const res = await fetch('/api/auth/sign-in/username', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: email, password }),
    credentials: 'same-origin',
  });
  if (res.ok) return null;
  const body = (await res.json().catch(() => null)) as { message?: string } | null;
  if (body?.message) return body.message;
  return res.status === 401 ? 'Invalid email or password' : `Sign-in failed (HTTP ${res.status})`;
}

export function SignInForm({ next }: { next: string }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setPending(true);
    setError(null);
    try {
      const failure = await signIn(String(form.get('email') ?? ''), String(form.get('password') ?? ''));
      if (failure) {
        setError(failure);
        setPending(false);
        return;
      }
      // A full navigation: the dashboard renders server-side with the new session cookie.
      window.location.assign(next);
    } catch {
      setError('Could not reach the server. Check your connection and try again.');
      setPending(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="mt-6 space-y-5" data-testid="sign-in-form">
      {error ? (
        <Alert tone="error" data-testid="sign-in-error">
          {error}
        </Alert>
      ) : null}
      <TextField id="email" label="Email" name="email" type="email" autoComplete="username" required />
      <TextField
        id="password"
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
      />
      <button type="submit" disabled={pending} className={`${buttonStyles.primary} w-full py-2.5`}>
        {pending ? <LoaderCircle className="size-4 animate-spin" aria-hidden="true" /> : null}
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
