import type {
  OpenAPIObject,
  OperationObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { API_SCHEMAS, ApiSchemaName } from './api-schemas.generated';

/** What an operation answers on success: a named schema (from the web app's API types), a list of one, or other. */
type Body =
  | { schema: ApiSchemaName; list?: boolean; status?: number }
  | { inline: SchemaObject; status?: number }
  | { media: string; description: string; inline?: SchemaObject; status?: number }
  | { status: 204 };

const ref = (name: string): ReferenceObject => ({ $ref: `#/components/schemas/${name}` });

const HEALTH: SchemaObject = {
  type: 'object',
  description: 'Terminus health check result',
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: { type: 'object', additionalProperties: true },
    error: { type: 'object', additionalProperties: true },
    details: { type: 'object', additionalProperties: true },
  },
};

/**
 * Each operation's success body, keyed "method path" as the document names them. An operation missing here
 * and not described by its controller fails test/openapi-contract.e2e-spec.ts, so a new endpoint gets a schema.
 */
export const RESPONSE_BODIES: Record<string, Body> = {
  'post /api/auth/login': { schema: 'LoginResult' },
  'post /api/auth/logout': { status: 204 },
  'post /api/auth/notice-acknowledgement': { status: 204 },
  'post /api/auth/password': { status: 204 },
  'get /api/auth/me': { schema: 'SessionUser' },
  'get /api/transfers': { schema: 'TransferPage' },
  'get /api/transfers/{transferId}': { schema: 'TransferDetail' },
  'post /api/transfers/{transferId}/retry': { schema: 'TransferRetry' },
  'post /api/transfers/{transferId}/cancel': { schema: 'TransferCancel' },
  'get /api/quarantine': { schema: 'QuarantinedStudy', list: true },
  'post /api/quarantine/{studyId}/release': {
    inline: {
      type: 'object',
      description: 'what routing the study again did: routed (with its transfer), or quarantined still',
      properties: {
        state: { type: 'string', enum: ['routed', 'late-instances', 'quarantined', 'skipped'] },
        transferId: { type: 'string', format: 'uuid' },
        added: { type: 'integer' },
        reason: { type: 'string' },
        studyState: { type: 'string' },
        whileReceiving: { type: 'boolean' },
      },
      required: ['state'],
    },
  },
  'post /api/quarantine/{studyId}/discard': {
    inline: {
      type: 'object',
      properties: { instancesPurged: { type: 'integer' } },
      required: ['instancesPurged'],
    },
  },
  'get /api/agreements': { schema: 'Agreement', list: true },
  'post /api/agreements/{agreementId}/suspend': { schema: 'Agreement' },
  'post /api/agreements/{agreementId}/resume': { schema: 'Agreement' },
  'get /api/audit': { schema: 'AuditPage' },
  'get /api/audit/chain': { schema: 'AuditVerification' },
  'get /api/audit/export.csv': { media: 'text/csv', description: 'the events searched, one row each, oldest first' },
  'get /api/audit/patients/{patientId}/access': { schema: 'PatientAccessReport' },
  'get /api/users': { schema: 'Account', list: true },
  'post /api/users': { schema: 'Account', status: 201 },
  'post /api/users/{username}/disable': { schema: 'Account' },
  'post /api/users/{username}/enable': { schema: 'Account' },
  'post /api/fetches': { schema: 'FetchRequest', status: 201 },
  'get /api/fetches': { schema: 'FetchRequest', list: true },
  'get /api/fetches/{id}': { schema: 'FetchRequest' },
  'get /api/operations': { schema: 'OperationsView' },
  'post /api/operations/nodes/{aeTitle}/echo': { schema: 'NodeEcho' },
  'post /api/studies/{studyId}/restrict': {
    inline: {
      type: 'object',
      properties: { studyId: { type: 'string', format: 'uuid' }, restricted: { type: 'boolean', enum: [true] } },
      required: ['studyId', 'restricted'],
    },
  },
  'post /api/studies/{studyId}/unrestrict': {
    inline: {
      type: 'object',
      properties: { studyId: { type: 'string', format: 'uuid' }, restricted: { type: 'boolean', enum: [false] } },
      required: ['studyId', 'restricted'],
    },
  },
  'post /api/find-it': { schema: 'FindItAnswer' },
  'post /api/studies/{studyId}/links': { schema: 'NewViewerLinkView', status: 201 },
  'get /api/studies/{studyId}/links': { schema: 'ViewerLinkView', list: true },
  'delete /api/studies/{studyId}/links/{linkId}': { schema: 'ViewerLinkView' },
  'get /api/viewer-links/{token}': { schema: 'OpenedLink' },
  'get /api/health': {
    inline: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['ok'] },
        mysql: { type: 'string', enum: ['up'] },
        redis: { type: 'string', enum: ['up'] },
      },
    },
  },
  'get /api/health/live': { inline: HEALTH },
  'get /api/health/ready': { inline: HEALTH },
  'get /metrics': { media: 'text/plain', description: 'Prometheus text exposition format, version 0.0.4' },
};

/** Operations anyone may call without a session. */
const PUBLIC = new Set([
  'post /api/auth/login',
  'get /api/health',
  'get /api/health/live',
  'get /api/health/ready',
  'get /metrics',
]);

const ERRORS: Record<string, string> = {
  '400': 'a parameter or body field is wrong; the message names it',
  '401': 'no session, or it has ended: log in again',
  '403': 'your role or trust may not do this',
  '404': 'no such thing, or not one your trust may see',
};

/** The same error shape for every failure; a schema of its own in components. */
const API_ERROR: SchemaObject = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer', example: 400 },
    error: { type: 'string', example: 'Bad Request' },
    message: { type: 'string', example: 'state: expected one of queued, delivering, delivered, …' },
    field: { type: 'string', description: 'the request field at fault, when there is one', example: 'state' },
  },
  required: ['statusCode', 'error', 'message'],
  additionalProperties: false,
};

const DICOM_JSON: SchemaObject = {
  type: 'array',
  description: 'DICOM JSON (PS3.18 F.2): one object per study, series or instance, keyed by tag',
  items: { type: 'object', additionalProperties: true },
};

/** A DICOMweb operation's answer, by its path (PS3.18): searches and metadata as DICOM JSON, the rest multipart. */
function dicomwebBody(path: string): Body {
  if (/\/(studies|series|instances)$/.test(path) || path.endsWith('/metadata')) {
    return { media: 'application/dicom+json', description: 'matches, as DICOM JSON', inline: DICOM_JSON };
  }
  if (path.endsWith('/rendered')) {
    return { media: 'application/pdf', description: 'the encapsulated document, as its own media type' };
  }
  if (path.includes('/frames/') || path.includes('/bulkdata/')) {
    return {
      media: 'multipart/related; type="application/octet-stream"',
      description: 'the frames or bulk data, one part each, as stored',
    };
  }
  return {
    media: 'multipart/related; type="application/dicom"',
    description: 'the instances, one part each, in the transfer syntax they were stored in',
  };
}

function successSchema(body: Body): ResponseObject | undefined {
  if ('schema' in body) {
    const schema = body.list ? { type: 'array' as const, items: ref(body.schema) } : ref(body.schema);
    return { description: 'OK', content: { 'application/json': { schema } } };
  }
  if ('media' in body) {
    return {
      description: body.description,
      content: { [body.media]: { schema: body.inline ?? { type: 'string', format: 'binary' } } },
    };
  }
  if ('inline' in body) {
    return { description: 'OK', content: { 'application/json': { schema: body.inline } } };
  }
  return undefined;
}

/**
 * Completes Nest's generated document: the API's body schemas (generated from the shared types), the success
 * body of each operation, the error shape on every 4xx, and the session scheme on every operation that needs it.
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas = {
    ...(document.components.schemas ?? {}),
    ...(API_SCHEMAS as Record<string, SchemaObject>),
    ApiError: API_ERROR,
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation: OperationObject | undefined = item[method];
      if (!operation) {
        continue;
      }
      const key = `${method} ${path}`;
      const body = RESPONSE_BODIES[key] ?? (path.startsWith('/dicomweb/') ? dicomwebBody(path) : undefined);
      if (body) {
        const status = String(body.status ?? 200);
        const existing = operation.responses[status] as ResponseObject | undefined;
        const success = successSchema(body);
        // Nest lists a default 200/201 for a POST; keep only the status the route really answers.
        for (const code of ['200', '201', '204']) {
          if (code !== status && !(operation.responses[code] as ResponseObject | undefined)?.content) {
            delete operation.responses[code];
          }
        }
        operation.responses[status] = success
          ? { ...success, description: existing?.description || success.description }
          : { description: existing?.description || 'done; no body' };
      }
      const open = PUBLIC.has(key) || path.startsWith('/api/viewer-links/');
      if (!open) {
        operation.security ??= [{ bearer: [] }];
      }
      const errors = Object.entries(ERRORS).filter(
        ([code]) =>
          (code !== '401' || !open) &&
          (code !== '404' || path.includes('{')) &&
          (code !== '403' || !open || key === 'post /api/auth/login'),
      );
      for (const [code, description] of key === 'post /api/auth/login'
        ? [...errors, ['429', 'this address failed too often; Retry-After says for how long']]
        : errors) {
        const existing = operation.responses[code] as ResponseObject | undefined;
        operation.responses[code] = {
          description: existing?.description || description,
          content: { 'application/json': { schema: ref('ApiError') } },
        };
      }
      for (const [code, response] of Object.entries(operation.responses)) {
        // Errors a controller declared itself (409, 422, 503…) take the same shape.
        if (/^[45]\d\d$/.test(code) && !(response as ResponseObject).content) {
          (response as ResponseObject).content = { 'application/json': { schema: ref('ApiError') } };
        }
      }
    }
  }
  return document;
}
