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
import { anchor, cell, code, page, plain, table } from './markdown.js';

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

/** Named type → the anchor of its section. */
type Links = ReadonlyMap<string, string>;

function kindOf(type: GraphQLNamedType): string {
  if (isObjectType(type)) return 'type';
  if (isInputObjectType(type)) return 'input';
  if (isEnumType(type)) return 'enum';
  if (isScalarType(type)) return 'scalar';
  if (isUnionType(type)) return 'union';
  return 'interface';
}

function typeHeading(type: GraphQLNamedType): string {
  return `${code(type.name)} (${kindOf(type)})`;
}

/** A type reference (`[Task!]!`) with its named type linked to its section (built-in scalars stay plain). */
function typeRef(type: string, links: Links): string {
  const named = type.replace(/[[\]!]/g, '');
  const target = links.get(named);
  if (BUILT_IN_SCALARS.has(named) || target === undefined) return code(type);
  return `[${code(type)}](#${target})`;
}

function defaultValue(argument: GraphQLArgument | GraphQLInputField): string {
  const node = argument.astNode?.defaultValue;
  return node === undefined ? '' : code(print(node));
}

function deprecation(reason: string | null | undefined): string {
  return reason === null || reason === undefined ? '' : ` **Deprecated:** ${plain(reason)}`;
}

function argumentsTable(args: readonly GraphQLArgument[], links: Links): string {
  return table(
    ['argument', 'type', 'default', 'meaning'],
    args.map((argument) => [
      code(argument.name),
      typeRef(String(argument.type), links),
      defaultValue(argument),
      cell(plain(argument.description ?? '') + deprecation(argument.deprecationReason)),
    ]),
  );
}

function rootFieldBlock(
  root: string,
  field: GraphQLField<unknown, unknown>,
  owner: string | undefined,
  links: Links,
): string {
  const lines = [
    `### ${code(`${root}.${field.name}`)}`,
    '',
    `Returns ${typeRef(String(field.type), links)}${owner === undefined ? '' : ` · module ${code(owner)}`}.` +
      deprecation(field.deprecationReason),
  ];
  if (field.description !== undefined && field.description !== null) lines.push('', plain(field.description));
  if (field.args.length > 0) lines.push('', argumentsTable(field.args, links));
  return lines.join('\n');
}

function fieldsTable(
  fields: readonly (GraphQLField<unknown, unknown> | GraphQLInputField)[],
  links: Links,
): string {
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
        typeRef(String(field.type), links),
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

function typeBlock(type: GraphQLNamedType, links: Links): string {
  const lines = [`### ${typeHeading(type)}`];
  if (type.description !== undefined && type.description !== null) lines.push('', plain(type.description));
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    lines.push('', fieldsTable(Object.values(type.getFields()), links));
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
        .map((member) => typeRef(member.name, links))
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
  const types = Object.values(schema.getTypeMap())
    .filter((type) => !type.name.startsWith('__') && !isSpecifiedScalarType(type))
    .filter((type) => !(ROOTS as readonly string[]).includes(type.name))
    .sort((a, b) => a.name.localeCompare(b.name, 'en'));
  const links: Links = new Map(types.map((type) => [type.name, anchor(typeHeading(type))]));
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
          `[${code(field.name)}](#${anchor(code(`${name}.${field.name}`))})`,
          code(String(field.type)),
          cell(owners.get(`${name}.${field.name}`)),
        ]),
      ),
      ...fields.map((field) => rootFieldBlock(name, field, owners.get(`${name}.${field.name}`), links)),
    );
  }
  blocks.push('## Types', ...types.map((type) => typeBlock(type, links)));
  return page('api/**/*.graphql (the SDL of api/modules.ts)', 'GraphQL reference', blocks);
}
