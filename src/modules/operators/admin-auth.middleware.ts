import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The token from `Authorization: Bearer <token>` or HTTP Basic (any user name, the token as password). */
function presentedToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme, value = ''] = header.split(' ', 2);
  if (/^bearer$/i.test(scheme)) return value.trim();
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/**
 * `/metrics` names every tenant's activity: with ADMIN_TOKEN it needs the token like the board;
 * without one it is open outside production (local trials, tests) and absent in production.
 */
export function metricsAuthMiddleware(config: { env: string; auth: { adminToken?: string } }) {
  return adminAuthMiddleware(config.auth.adminToken, config.env === 'production' ? 'hidden' : 'open');
}

/**
 * Guards the operator UI (Bull Board). Without ADMIN_TOKEN the UI does not exist (404). Otherwise
 * the caller presents the token as a Bearer token (scripts) or as the Basic-auth password
 * (browsers prompt for it, then resend it with every asset and API call of the UI).
 */
export function adminAuthMiddleware(adminToken: string | undefined, whenUnset: 'hidden' | 'open' = 'hidden') {
  const expected = adminToken ? digest(adminToken) : undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!expected && whenUnset === 'open') {
      next();
      return;
    }
    if (!expected) {
      res.status(404).json({ detail: `Route ${req.method} ${req.originalUrl.split('?')[0]} not found.` });
      return;
    }
    const token = presentedToken(req);
    if (token !== undefined && timingSafeEqual(digest(token), expected)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="PandaProbe operators", charset="UTF-8"');
    res.status(401).json({ detail: 'Admin token required.' });
  };
}

/**
 * Bull Board's page links Google Fonts; a self-hosted operator page loads nothing from the internet.
 * The link is cut from its HTML (the UI then uses the system fonts) and a Content-Security-Policy
 * keeps fonts, styles and scripts to this origin.
 */
export function offlineBoardMiddleware() {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; font-src 'self' data:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self' 'unsafe-inline'",
    );
    const send = res.send.bind(res);
    res.send = (body?: unknown) =>
      send(typeof body === 'string' ? body.replace(/<link[^>]+https:\/\/fonts\.[^>]+>\s*/g, '') : body);
    next();
  };
}
