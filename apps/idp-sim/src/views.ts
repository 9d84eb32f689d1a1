/** Server-rendered French pages of the simulated "Guichet Agents". All dynamic text is escaped. */

export const LOGIN_ERROR_MESSAGE = 'Identifiant ou mot de passe incorrect.';

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f5f5fe;margin:0;color:#161616}
header{background:#000091;color:#fff;padding:12px 24px;font-weight:600}
main{max-width:380px;margin:40px auto;background:#fff;padding:24px 32px;box-shadow:0 1px 3px rgba(0,0,0,.2)}
h1{font-size:1.3rem;margin-top:0}
label{display:block;margin:16px 0 4px;font-weight:600}
input{width:100%;box-sizing:border-box;padding:8px;font-size:1rem;border:1px solid #666}
button{margin-top:20px;width:100%;padding:10px;font-size:1rem;background:#000091;color:#fff;border:0;cursor:pointer}
.error{background:#ffe9e9;color:#ce0500;border-left:4px solid #ce0500;padding:8px 12px;margin:12px 0}
.muted{color:#666;font-size:.85rem}
`;

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>Guichet Agents — environnement de démonstration (simulé)</header>
<main>
${body}
</main>
</body>
</html>`;
}

export function loginPage(opts: { uid: string; clientId: string; login?: string; error?: string }): string {
  const action = `/interaction/${encodeURIComponent(opts.uid)}/login`;
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  return layout(
    'Connexion — Guichet Agents (simulé)',
    `<h1>Connexion — Guichet Agents (simulé)</h1>
<p class="muted">Application : ${escapeHtml(opts.clientId)}</p>
${error}
<form method="post" action="${escapeHtml(action)}" autocomplete="off">
<label for="login">Identifiant</label>
<input id="login" name="login" type="text" required autofocus value="${escapeHtml(opts.login ?? '')}">
<label for="password">Mot de passe</label>
<input id="password" name="password" type="password" required>
<button type="submit">Se connecter</button>
</form>`,
  );
}

export function errorPage(title: string, detail: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(detail)}</p>`);
}

/** RP-initiated logout confirmation: wraps the form oidc-provider generates. */
export function logoutPage(form: string): string {
  return layout(
    'Déconnexion — Guichet Agents (simulé)',
    `<h1>Déconnexion</h1>
<p>Voulez-vous vous déconnecter du Guichet Agents ?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter</button>
<button type="submit" form="op.logoutForm">Rester connecté</button>`,
  );
}

export function logoutSuccessPage(): string {
  return layout('Déconnexion — Guichet Agents (simulé)', '<h1>Vous êtes déconnecté.</h1>');
}
