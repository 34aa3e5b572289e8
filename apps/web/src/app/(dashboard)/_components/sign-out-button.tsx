'use client';

import { LogOut } from 'lucide-react';
import { useState } from 'react';
import { buttonStyles } from '@/components/button';

export function SignOutButton() {
  const [pending, setPending] = useState(false);
  return (
    <button
      type="button"
      disabled={pending}
      className={buttonStyles.ghost}
      onClick={async () => {
        setPending(true);
        await fetch('/api/auth/sign-out', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
          credentials: 'same-origin',
        }).catch(() => undefined);
        // Full navigation drops every cached query of the signed-out user.
        window.location.assign('/sign-in');
      }}
    >
      <LogOut className="size-4" aria-hidden="true" />
      {pending ? 'Signing out…' : 'Sign out'}
    </button>
  );
}
