import type { ComponentChildren } from 'preact';

/** A labelled input with its error message, wired for screen readers. */
export function Field(p: {
  name: string;
  label: string;
  type?: string;
  value?: string;
  error?: string;
  required?: boolean;
  autocomplete?: string;
  hint?: string;
  autofocus?: boolean;
}) {
  const id = `f-${p.name}`;
  const describedBy = [p.hint && `${id}-hint`, p.error && `${id}-err`].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.value}
        required={p.required}
        autocomplete={p.autocomplete}
        autofocus={p.autofocus}
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={describedBy}
      />
      {p.hint && (
        <small id={`${id}-hint`} class="hint">
          {p.hint}
        </small>
      )}
      {p.error && (
        <small id={`${id}-err`} class="error">
          {p.error}
        </small>
      )}
    </div>
  );
}

/** A form-level error. */
export function FormError({ message }: { message?: string | null }) {
  if (!message) return null;
  return (
    <p class="alert" role="alert">
      {message}
    </p>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="pagehead">
      <h1>{title}</h1>
      {children && <div class="actions">{children}</div>}
    </div>
  );
}

/** A localized, machine-readable timestamp. */
export function Time({ iso }: { iso: string | null }) {
  if (!iso) return <span class="muted">never</span>;
  return <time dateTime={iso}>{iso.replace('T', ' ').slice(0, 16)} UTC</time>;
}

export function RoleSelect({ name, value, roles, id, label }: { name: string; value: string; roles: readonly string[]; id?: string; label?: string }) {
  return (
    <select name={name} id={id} aria-label={label}>
      {roles.map((r) => (
        <option value={r} selected={r === value}>
          {r}
        </option>
      ))}
    </select>
  );
}

/** The page shown for errors outside the JSON API. */
export function ErrorView({ status, message, requestId }: { status: number; message: string; requestId?: string }) {
  return (
    <section class="card error-card">
      <h1>{status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'That did not work'}</h1>
      <p>{message}</p>
      {requestId && <p class="muted">Request id: {requestId}</p>}
      <p>
        <a href="/">Back to Folio</a>
      </p>
    </section>
  );
}

/**
 * A one-button form for a destructive action: a plain post (with an optional confirmation),
 * or an htmx swap of `swapTarget` when given.
 */
export function DangerButton(p: { action: string; label: string; confirm?: string; swapTarget?: string }) {
  const hx = p.swapTarget ? { 'hx-post': p.action, 'hx-target': p.swapTarget, 'hx-swap': 'outerHTML' } : {};
  return (
    <form method="post" action={p.action} class="inline" data-confirm={p.confirm} {...hx}>
      <button type="submit" class="danger small">
        {p.label}
      </button>
    </form>
  );
}

/** A labelled multi-line text input (monospace: certificates, filters, lists). */
export function TextArea(p: { name: string; label: string; value?: string; rows?: number; hint?: string }) {
  return (
    <div class="field">
      <label for={`f-${p.name}`}>{p.label}</label>
      <textarea id={`f-${p.name}`} name={p.name} rows={p.rows ?? 6} class="mono" aria-describedby={p.hint ? `f-${p.name}-hint` : undefined}>
        {p.value ?? ''}
      </textarea>
      {p.hint && <small id={`f-${p.name}-hint`} class="hint">{p.hint}</small>}
    </div>
  );
}

/** A checkbox with its label and an optional hint; posts "on" when ticked. */
export function Check(p: { name: string; label: string; checked: boolean; hint?: string }) {
  return (
    <div class="field">
      <label>
        <input type="checkbox" name={p.name} value="on" checked={p.checked} /> {p.label}
      </label>
      {p.hint && <small class="hint">{p.hint}</small>}
    </div>
  );
}

/** The role an identity provider gives new members (owner is never granted this way). */
export function DefaultRoleSelect({ value }: { value: string }) {
  return (
    <div class="field">
      <label for="f-defaultRole">Role of new members</label>
      <select id="f-defaultRole" name="defaultRole">
        {(['viewer', 'member', 'admin'] as const).map((r) => (
          <option value={r} selected={value === r}>{r}</option>
        ))}
      </select>
    </div>
  );
}
