import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { completeDocument } from './openapi-contract';

/**
 * Serves the portal's OpenAPI document at /api/docs (UI) and /api/docs-json, with every body's schema and the
 * one error shape (openapi-contract.ts).
 */
export function setupPortalDocs(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Image Exchange Hub portal API')
      .setDescription(
        'Log in at POST /api/auth/login and send the token as `Authorization: Bearer …`. ' +
          'Access to patient data is audited.',
      )
      // The session token is opaque (random bytes, stored only as a hash), not a JWT: say so, not Nest's default.
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque session token',
        description:
          'The token from POST /api/auth/login; it ends at log-out, when idle too long, or at its expiresAt.',
      })
      .build(),
  );
  SwaggerModule.setup('api/docs', app, completeDocument(document));
}
