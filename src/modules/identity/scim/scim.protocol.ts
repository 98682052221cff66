import { AppError, type ErrorCode } from '../../../shared/errors';

/** SCIM schema and message URNs (RFC 7643, RFC 7644). */
export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  spConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** RFC 7644 §3.12 scimType values Folio answers with. */
export type ScimType = 'invalidFilter' | 'invalidSyntax' | 'invalidPath' | 'invalidValue' | 'noTarget' | 'uniqueness' | 'mutability' | 'tooMany';

/** The largest page a list answers, whatever `count` asks for. */
export const MAX_RESULTS = 200;

/** A request error with its SCIM type; the edge turns it into a SCIM error response. */
export function scimError(scimType: ScimType, message: string, code: ErrorCode = 'validation_failed'): AppError {
  return new AppError(code, message, { details: { scimType } });
}

/** The SCIM type an AppError carries, if any. */
export function scimTypeOf(err: AppError): ScimType | undefined {
  const d = err.details as { scimType?: ScimType } | undefined;
  return d?.scimType;
}

/** ServiceProviderConfig (RFC 7643 §5): what this endpoint supports. */
export function serviceProviderConfig(base: string, maxPayloadSize: number) {
  return {
    schemas: [URN.spConfig],
    documentationUri: undefined,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'The SCIM token an administrator creates under Sign-in & security → SCIM provisioning, sent as Authorization: Bearer <token>.',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

/** ResourceTypes (RFC 7643 §6). */
export function resourceTypes(base: string) {
  return [
    {
      schemas: [URN.resourceType],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'A member of the organization; userName is their email address.',
      schema: URN.user,
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [URN.resourceType],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'A team of the organization.',
      schema: URN.group,
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
}

type Attr = {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference';
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable';
  uniqueness?: 'none' | 'server';
  subAttributes?: Attr[];
  description?: string;
};

function attr(a: Attr): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued ?? false,
    description: a.description ?? '',
    required: a.required ?? false,
    caseExact: a.caseExact ?? false,
    mutability: a.mutability ?? 'readWrite',
    returned: 'default',
    uniqueness: a.uniqueness ?? 'none',
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attr) } : {}),
  };
}

/** Schemas (RFC 7643 §7): the attributes Folio keeps. */
export function schemas(base: string) {
  const user = {
    schemas: [URN.schema],
    id: URN.user,
    name: 'User',
    description: 'A member of the organization',
    attributes: [
      { name: 'userName', type: 'string', required: true, uniqueness: 'server', description: 'The email address the person signs in with.' },
      { name: 'externalId', type: 'string', caseExact: true },
      {
        name: 'name',
        type: 'complex',
        subAttributes: [
          { name: 'formatted', type: 'string' },
          { name: 'givenName', type: 'string' },
          { name: 'familyName', type: 'string' },
        ],
      },
      { name: 'displayName', type: 'string' },
      { name: 'active', type: 'boolean', description: 'False turns the member off and ends their sessions at once.' },
      {
        name: 'emails',
        type: 'complex',
        multiValued: true,
        subAttributes: [
          { name: 'value', type: 'string' },
          { name: 'type', type: 'string' },
          { name: 'primary', type: 'boolean' },
        ],
      },
      {
        name: 'groups',
        type: 'complex',
        multiValued: true,
        mutability: 'readOnly',
        subAttributes: [
          { name: 'value', type: 'string', mutability: 'readOnly' },
          { name: 'display', type: 'string', mutability: 'readOnly' },
        ],
      },
    ].map((a) => attr(a as Attr)),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${URN.user}` },
  };
  const group = {
    schemas: [URN.schema],
    id: URN.group,
    name: 'Group',
    description: 'A team of the organization',
    attributes: [
      { name: 'displayName', type: 'string', required: true, uniqueness: 'server', description: 'The team name.' },
      { name: 'externalId', type: 'string', caseExact: true },
      {
        name: 'members',
        type: 'complex',
        multiValued: true,
        subAttributes: [
          { name: 'value', type: 'string', mutability: 'immutable', description: 'The id of a User of this organization.' },
          { name: 'display', type: 'string', mutability: 'readOnly' },
        ],
      },
    ].map((a) => attr(a as Attr)),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${URN.group}` },
  };
  return [user, group];
}
