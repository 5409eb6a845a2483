import { INestApplication, Logger } from '@nestjs/common';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { existsSync, readFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { setupPortalDocs } from './openapi';

/** Where `npm run build` puts the web app (vite's outDir), relative to the repository or image root. */
const WEB_BUILD = path.join('dist', 'portal-web');

/**
 * The built web app: the nearest `dist/portal-web` above this file, so the same code finds it when run
 * from `dist/apps/portal/src` (npm start, the image) and from `apps/portal/src` (tests through ts-jest).
 */
export function findWebBuild(from = __dirname): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, WEB_BUILD);
    if (existsSync(path.join(candidate, 'index.html'))) {
      return candidate;
    }
    if (path.dirname(dir) === dir) {
      return undefined;
    }
  }
}

/**
 * The portal's HTTP face: security headers, the API docs, and the web app at `/` on the same origin as
 * `/api`. Any GET outside `/api` that is not a file of the build answers the app's index.html, so a
 * reloaded deep link (/transfers/…) opens the app; `/api/…` and `/dicomweb/…` are left to Nest, 404 included.
 */
export function configurePortalHttp(app: INestApplication, webBuild = findWebBuild()): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  // Behind a reverse proxy, req.ip (the address the audit trail and the log-in limit use) is the client's from
  // X-Forwarded-For, believed only from the hops portal.trustProxy names.
  express.set('trust proxy', app.get<HubConfig>(HUB_CONFIG).portal.trustProxy);
  express.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          // 'wasm-unsafe-eval' lets the viewer compile its bundled image codecs (WebAssembly), nothing else.
          scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
          workerSrc: ["'self'"],
          // The component kit sets CSS variables in a <style> element; scripts stay 'self' only.
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          upgradeInsecureRequests: null,
        },
      },
      // The same as frame-ancestors 'none', for browsers that only read the older header.
      frameguard: { action: 'deny' },
      // Hospital sites often serve the hub over plain HTTP inside their network; HSTS is the proxy's call.
      strictTransportSecurity: false,
    }),
  );
  setupPortalDocs(app);
  if (!webBuild) {
    new Logger('PortalWeb').warn('web app not built (no dist/portal-web): run npm run build; serving the API only');
    return;
  }
  express.useStaticAssets(webBuild, {
    index: false,
    // File names under assets/ carry a content hash; index.html must be re-read on every visit.
    setHeaders: (res: ServerResponse, file: string) =>
      res.setHeader(
        'Cache-Control',
        file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      ),
  });
  const index = readFileSync(path.join(webBuild, 'index.html'));
  express.use((req: IncomingMessage & { path?: string }, res: ServerResponse, next: () => void) => {
    const route = req.path ?? req.url ?? '/';
    if (
      (req.method !== 'GET' && req.method !== 'HEAD') ||
      /^\/(api|dicomweb)(\/|$)/.test(route) ||
      route === '/metrics'
    ) {
      next();
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    res.end(req.method === 'HEAD' ? undefined : index);
  });
}
