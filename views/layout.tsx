import type { ComponentChildren } from 'preact';

export interface OrgLink {
  slug: string;
  name: string;
  role: string;
}

export interface Viewer {
  name: string;
  email: string;
}

export interface NavItem {
  href: string;
  label: string;
  key: string;
}

export interface LayoutProps {
  title: string;
  viewer?: Viewer;
  org?: OrgLink;
  orgs?: OrgLink[];
  nav?: NavItem[];
  active?: string;
  notice?: string | null;
  children: ComponentChildren;
}

function Head({ title }: { title: string }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"historyCacheSize":0}' />
      <title>{`${title} · Folio`}</title>
      <link rel="stylesheet" href="/assets/folio.css" />
      <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
      <script src="/assets/htmx.min.js" defer></script>
      <script src="/assets/folio.js" defer></script>
    </head>
  );
}

/** The application frame: top bar with organization switcher and user menu, navigation, content. */
export function Layout(p: LayoutProps) {
  return (
    <html lang="en">
      <Head title={p.title} />
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <a class="brand" href="/">
            <img src="/assets/favicon.svg" alt="" width="22" height="22" /> Folio
          </a>
          {p.viewer && <OrgSwitcher org={p.org} orgs={p.orgs ?? []} />}
          <span class="spacer" />
          {p.viewer && <UserMenu viewer={p.viewer} />}
        </header>
        <div class={p.nav ? 'frame' : 'frame frame--bare'}>
          {p.nav && (
            <nav class="sidenav" aria-label="Organization">
              <ul>
                {p.nav.map((n) => (
                  <li>
                    <a href={n.href} aria-current={p.active === n.key ? 'page' : undefined}>
                      {n.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          <main id="main" tabIndex={-1}>
            {p.notice && (
              <p class="notice" role="status">
                {p.notice}
              </p>
            )}
            {p.children}
          </main>
        </div>
      </body>
    </html>
  );
}

function OrgSwitcher({ org, orgs }: { org?: OrgLink; orgs: OrgLink[] }) {
  return (
    <details class="menu orgswitch">
      <summary aria-label="Switch organization">{org ? org.name : 'Organizations'}</summary>
      <ul role="list">
        {orgs.map((o) => (
          <li>
            <a href={`/o/${o.slug}`} aria-current={org?.slug === o.slug ? 'true' : undefined}>
              {o.name} <small>{o.role}</small>
            </a>
          </li>
        ))}
        <li>
          <a href="/orgs/new">+ New organization</a>
        </li>
      </ul>
    </details>
  );
}

function UserMenu({ viewer }: { viewer: Viewer }) {
  return (
    <details class="menu usermenu">
      <summary aria-label="Account menu">{viewer.name}</summary>
      <ul role="list">
        <li class="muted">{viewer.email}</li>
        <li>
          <a href="/account/sessions">Sessions</a>
        </li>
        <li>
          <a href="/account/security">Two-factor sign-in</a>
        </li>
        <li>
          <a href="/account/tokens">API tokens</a>
        </li>
        <li>
          <form method="post" action="/logout">
            <button type="submit" class="linkish">
              Sign out
            </button>
          </form>
        </li>
      </ul>
    </details>
  );
}

/** A centered card for the setup, sign-in and invitation pages. */
export function AuthLayout({ title, children, notice }: { title: string; children: ComponentChildren; notice?: string | null }) {
  return (
    <html lang="en">
      <Head title={title} />
      <body class="auth">
        <main id="main" class="card auth-card">
          <p class="brand brand--big">
            <img src="/assets/favicon.svg" alt="" width="28" height="28" /> Folio
          </p>
          {notice && (
            <p class="notice" role="status">
              {notice}
            </p>
          )}
          {children}
        </main>
      </body>
    </html>
  );
}
