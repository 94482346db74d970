// The console's only script: creating and using a passkey (WebAuthn needs the browser's API). Every page reads
// without it. Loaded from this origin only: the Content-Security-Policy allows no inline script and no other source.
(() => {
  'use strict';
  const toBytes = (text) => {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
  };
  const toText = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  // The server's JSON may carry null members; the WebAuthn dictionaries want them absent.
  const withoutNulls = (value) => {
    if (Array.isArray(value)) return value.map(withoutNulls);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
    }
    return value;
  };
  const localPath = (path) => (typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\') ? path : '/');

  const form = document.querySelector('form[data-passkey]');
  if (!form) return;
  const status = document.getElementById('passkey-status');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const kind = ['enrol', 'add'].includes(form.dataset.passkey) ? form.dataset.passkey : 'signin';
    const creating = kind !== 'signin';
    const token = form.querySelector('input[name="__RequestVerificationToken"]').value;
    try {
      status.textContent = 'Waiting for your passkey…';
      const started = await fetch(`/console/webauthn/${kind}/options`, { method: 'POST', body: new FormData(form), credentials: 'same-origin' });
      const challenge = await started.json();
      if (!started.ok) throw new Error(challenge.detail || started.statusText);
      const options = withoutNulls(challenge.options);
      options.challenge = toBytes(options.challenge);
      let credential;
      if (creating) {
        options.user.id = toBytes(options.user.id);
        options.excludeCredentials = (options.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
        credential = await navigator.credentials.create({ publicKey: options });
      } else {
        options.allowCredentials = (options.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
        credential = await navigator.credentials.get({ publicKey: options });
      }
      const r = credential.response;
      const json = {
        id: credential.id,
        rawId: toText(credential.rawId),
        type: credential.type,
        clientExtensionResults: credential.getClientExtensionResults(),
        response: creating
          ? { attestationObject: toText(r.attestationObject), clientDataJSON: toText(r.clientDataJSON), transports: r.getTransports ? r.getTransports() : [] }
          : { authenticatorData: toText(r.authenticatorData), clientDataJSON: toText(r.clientDataJSON), signature: toText(r.signature), userHandle: r.userHandle ? toText(r.userHandle) : null },
      };
      const answered = await fetch(`/console/webauthn/${kind}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
        body: JSON.stringify({ ceremony: challenge.ceremony, credential: json }),
        credentials: 'same-origin',
      });
      const result = await answered.json();
      if (!answered.ok) throw new Error(result.detail || answered.statusText);
      location.assign(localPath(form.dataset.returnUrl || result.redirect));
    } catch (error) {
      status.textContent = 'Not done: ' + error.message;
    }
  });
})();
