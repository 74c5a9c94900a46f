import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  isUnionType,
  Kind,
  parse,
  print,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { API_MODULES } from '../../api/modules.js';
import { buildInertApi } from './inert-api.js';
import { cell, code, page, plain, table } from './markdown.js';

/** The SDL of one API module, as `api/graphql/compose.ts` joins them into the served schema. */
export interface ModuleSdl {
  module: string;
  sdl: string;
}

/** Every module's SDL, in the order of `api/modules.ts`. */
export function moduleSdl(): ModuleSdl[] {
  const context = buildInertApi().context;
  return API_MODULES.map((factory) => factory(context)).flatMap((module) =>
    module.typeDefs === undefined ? [] : [{ module: module.name, sdl: module.typeDefs }],
  );
}

const ROOTS = ['Query', 'Mutation', 'Subscription'] as const;

/** Root field → the module whose SDL declares it. */
function rootOwners(modules: readonly ModuleSdl[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const { module, sdl } of modules) {
    for (const definition of parse(sdl).definitions) {
      if (
        (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) &&
        (ROOTS as readonly string[]).includes(definition.name.value)
      ) {
        for (const field of definition.fields ?? []) {
          owners.set(`${definition.name.value}.${field.name.value}`, module);
        }
      }
    }
  }
  return owners;
}

const BUILT_IN_SCALARS = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);

function typeAnchor(name: string): string {
  return `type-${name.toLowerCase()}`;
}

/** A type reference (`[Task!]!`) with its named type linked to its section (built-in scalars stay plain). */
function typeRef(type: string): string {
  const named = type.replace(/[[\]!]/g, '');
  return BUILT_IN_SCALARS.has(named) ? code(type) : `[${code(type)}](#${typeAnchor(named)})`;
}

function defaultValue(argument: GraphQLArgument | GraphQLInputField): string {
  const node = argument.astNode?.defaultValue;
  return node === undefined ? '' : code(print(node));
}

function deprecation(reason: string | null | undefined): string {
  return reason === null || reason === undefined ? '' : ` **Deprecated:** ${plain(reason)}`;
}

function argumentsTable(args: readonly GraphQLArgument[]): string {
  return table(
    ['argument', 'type', 'default', 'meaning'],
    args.map((argument) => [
      code(argument.name),
      typeRef(String(argument.type)),
      defaultValue(argument),
      cell(plain(argument.description ?? '') + deprecation(argument.deprecationReason)),
    ]),
  );
}

function rootFieldBlock(
  root: string,
  field: GraphQLField<unknown, unknown>,
  owner: string | undefined,
): string {
  const lines = [
    `### ${code(`${root}.${field.name}`)}`,
    '',
    `Returns ${typeRef(String(field.type))}${owner === undefined ? '' : ` · module ${code(owner)}`}.` +
      deprecation(field.deprecationReason),
  ];
  if (field.description !== undefined && field.description !== null) lines.push('', plain(field.description));
  if (field.args.length > 0) lines.push('', argumentsTable(field.args));
  return lines.join('\n');
}

function fieldsTable(fields: readonly (GraphQLField<unknown, unknown> | GraphQLInputField)[]): string {
  return table(
    ['field', 'type', 'meaning'],
    fields.map((field) => {
      const args =
        'args' in field && field.args.length > 0
          ? ` Arguments: ${field.args.map((a) => `${a.name}: ${String(a.type)}${a.defaultValue === undefined ? '' : ` = ${defaultValue(a).replace(/`/g, '')}`}`).join(', ')}.`
          : '';
      const inputDefault = 'args' in field ? '' : defaultValue(field);
      return [
        code(field.name),
        typeRef(String(field.type)),
        cell(
          plain(field.description ?? '') +
            args +
            (inputDefault === '' ? '' : ` Default ${inputDefault}.`) +
            deprecation(field.deprecationReason),
        ),
      ];
    }),
  );
}

function typeBlock(type: GraphQLNamedType): string {
  const kind = isObjectType(type)
    ? 'type'
    : isInputObjectType(type)
      ? 'input'
      : isEnumType(type)
        ? 'enum'
        : isScalarType(type)
          ? 'scalar'
          : isUnionType(type)
            ? 'union'
            : 'interface';
  const lines = [`### <a id="${typeAnchor(type.name)}"></a>${code(type.name)} (${kind})`];
  if (type.description !== undefined && type.description !== null) lines.push('', plain(type.description));
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    lines.push('', fieldsTable(Object.values(type.getFields())));
  } else if (isEnumType(type)) {
    lines.push(
      '',
      table(
        ['value', 'meaning'],
        type
          .getValues()
          .map((value) => [
            code(value.name),
            cell(plain(value.description ?? '') + deprecation(value.deprecationReason)),
          ]),
      ),
    );
  } else if (isUnionType(type)) {
    lines.push(
      '',
      `One of ${type
        .getTypes()
        .map((member) => typeRef(member.name))
        .join(', ')}.`,
    );
  }
  return lines.join('\n');
}

/** The schema the API serves, built by `graphql` itself from the modules' SDL. */
export function servedSchema(modules: readonly ModuleSdl[]): GraphQLSchema {
  return buildSchema(modules.map((m) => m.sdl).join('\n\n'));
}

/** `docs/reference/graphql.md`: operations with their arguments, then every type, from the SDL. */
export function renderGraphqlReference(modules: readonly ModuleSdl[]): string {
  const schema = servedSchema(modules);
  const owners = rootOwners(modules);
  const rootTypes: [string, GraphQLObjectType | null | undefined][] = [
    ['Query', schema.getQueryType()],
    ['Mutation', schema.getMutationType()],
    ['Subscription', schema.getSubscriptionType()],
  ];
  const blocks = [
    "The GraphQL schema the API serves at `/graphql` (GraphiQL on GET), built with `graphql`'s own " +
      `${code('buildSchema')} from the SDL of every API module (${modules.map((m) => code(m.module)).join(', ')}; ` +
      `files ${code('api/**/*.graphql')}). Subscriptions are answered as server-sent events (\`Accept: text/event-stream\`). ` +
      'A bad argument is a `BAD_USER_INPUT` error naming it, a dependency that is down `SERVICE_UNAVAILABLE`.',
  ];
  for (const [name, root] of rootTypes) {
    if (root === null || root === undefined) continue;
    const fields = Object.values(root.getFields());
    blocks.push(
      `## ${name}`,
      table(
        ['field', 'returns', 'module'],
        fields.map((field) => [
          `[${code(field.name)}](#${`${name}${field.name}`.toLowerCase()})`,
          code(String(field.type)),
          cell(owners.get(`${name}.${field.name}`)),
        ]),
      ),
      ...fields.map((field) => rootFieldBlock(name, field, owners.get(`${name}.${field.name}`))),
    );
  }
  const types = Object.values(schema.getTypeMap())
    .filter((type) => !type.name.startsWith('__') && !isSpecifiedScalarType(type))
    .filter((type) => !(ROOTS as readonly string[]).includes(type.name))
    .sort((a, b) => a.name.localeCompare(b.name, 'en'));
  blocks.push('## Types', ...types.map(typeBlock));
  return page('api/**/*.graphql (the SDL of api/modules.ts)', 'GraphQL reference', blocks);
}
