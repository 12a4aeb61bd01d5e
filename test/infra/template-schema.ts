import type { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource, ResourceProperties } from '@aws-cdk/service-spec-types';
import { didYouMean } from '../../lambda/suggest.ts';

/** CloudFormation's registry schemas, as `@aws-cdk/aws-service-spec` ships them. */
export type SpecDatabase = Awaited<ReturnType<typeof loadAwsServiceSpec>>;

export type ProblemKind =
  | 'unknown-type'
  | 'unknown-key'
  | 'unknown-property'
  | 'missing-property'
  | 'wrong-type'
  | 'enum'
  | 'missing-target'
  | 'unknown-attribute';

/** One thing CloudFormation would refuse, at a path such as `Resources.Fn.Properties.TracingConfig.Mode`. */
export interface Problem {
  kind: ProblemKind;
  path: string;
  message: string;
}

type Json = Record<string, unknown>;
/** What an intrinsic function evaluates to, as far as the template alone tells. */
type Result = 'string' | 'list' | 'absent' | 'unknown';

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);
const RESOURCE_KEYS = [
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'Metadata',
  'CreationPolicy',
  'UpdatePolicy',
  'DeletionPolicy',
  'UpdateReplacePolicy',
];
const DELETION_POLICIES = ['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot'];
const UPDATE_POLICIES = [
  'AutoScalingReplacingUpdate',
  'AutoScalingRollingUpdate',
  'AutoScalingScheduledAction',
  'CodeDeployLambdaAliasUpdate',
  'EnableVersionUpgrade',
  'UseOnlineResharding',
];
const ALIAS_UPDATE_KEYS = ['ApplicationName', 'DeploymentGroupName', 'BeforeAllowTrafficHook', 'AfterAllowTrafficHook'];
const STRING_RESULTS = ['Fn::Join', 'Fn::Sub', 'Fn::Base64', 'Fn::ImportValue'];
const LIST_RESULTS = ['Fn::Split', 'Fn::GetAZs', 'Fn::Cidr'];

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isIntrinsic = (value: unknown): value is Json => {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || (keys[0] ?? '').startsWith('Fn::'));
};
const isCustomResource = (type: string): boolean =>
  type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
const section = (template: Json, name: string): Json => (isObject(template[name]) ? template[name] : {});

function describeValue(value: unknown): string {
  if (isIntrinsic(value)) return Object.keys(value)[0] as string;
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Checks a synthesized CloudFormation template the way cfn-lint does, against the registry schemas in `db`:
 * resource types, property names, required properties, JSON types (nested types, lists and maps included),
 * registry enums, and that every `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::If`, `Condition` and `DependsOn` points at
 * something the template or CloudFormation defines. Returns every problem found; an empty list means none.
 */
export function checkTemplate(template: unknown, db: SpecDatabase): Problem[] {
  if (!isObject(template)) return [{ kind: 'wrong-type', path: '', message: 'a template is a JSON object' }];
  return new TemplateCheck(template, db).run();
}

class TemplateCheck {
  private readonly problems: Problem[] = [];
  private readonly resources: Json;
  private readonly parameters: Json;
  private readonly conditions: Json;
  private readonly mappings: Json;
  private readonly specs = new Map<string, Resource | undefined>();
  private readonly template: Json;
  private readonly db: SpecDatabase;

  constructor(template: Json, db: SpecDatabase) {
    this.template = template;
    this.db = db;
    this.resources = section(template, 'Resources');
    this.parameters = section(template, 'Parameters');
    this.conditions = section(template, 'Conditions');
    this.mappings = section(template, 'Mappings');
  }

  run(): Problem[] {
    for (const [id, resource] of Object.entries(this.resources)) this.checkResource(id, resource);
    for (const name of ['Outputs', 'Conditions', 'Rules']) {
      this.walkReferences(section(this.template, name), name, name === 'Conditions');
    }
    for (const [name, output] of Object.entries(section(this.template, 'Outputs'))) {
      if (isObject(output) && output.Condition !== undefined) {
        this.checkCondition(output.Condition, `Outputs.${name}.Condition`);
      }
    }
    return this.problems;
  }

  private report(kind: ProblemKind, path: string, message: string): void {
    this.problems.push({ kind, path, message });
  }

  private spec(type: string): Resource | undefined {
    if (!this.specs.has(type)) {
      this.specs.set(type, this.db.lookup('resource', 'cloudFormationType', 'equals', type)[0]);
    }
    return this.specs.get(type);
  }

  private checkResource(id: string, resource: unknown): void {
    const path = `Resources.${id}`;
    if (!isObject(resource)) {
      this.report('wrong-type', path, 'a resource is an object with a Type');
      return;
    }
    for (const key of Object.keys(resource)) {
      if (!RESOURCE_KEYS.includes(key)) {
        this.report('unknown-key', `${path}.${key}`, `not a resource key${didYouMean(key, RESOURCE_KEYS)}`);
      }
    }
    for (const key of ['DeletionPolicy', 'UpdateReplacePolicy']) {
      const policy = resource[key];
      if (typeof policy === 'string' && !DELETION_POLICIES.includes(policy)) {
        this.report('enum', `${path}.${key}`, `${policy} is not one of ${DELETION_POLICIES.join(', ')}`);
      }
    }
    this.checkDependsOn(id, resource.DependsOn, `${path}.DependsOn`);
    if (resource.Condition !== undefined) this.checkCondition(resource.Condition, `${path}.Condition`);
    this.checkUpdatePolicy(resource.UpdatePolicy, `${path}.UpdatePolicy`);
    for (const key of ['Properties', 'UpdatePolicy', 'CreationPolicy']) {
      if (resource[key] !== undefined) this.walkReferences(resource[key], `${path}.${key}`, false);
    }

    const { Type: type, Properties: properties = {} } = resource;
    if (typeof type !== 'string') {
      this.report('missing-property', `${path}.Type`, 'a resource needs a Type');
      return;
    }
    if (type === 'AWS::CDK::Metadata') return;
    const propertiesPath = `${path}.Properties`;
    if (!isObject(properties)) {
      this.report('wrong-type', propertiesPath, `Properties must be an object, not ${describeValue(properties)}`);
      return;
    }
    if (isCustomResource(type)) {
      // Everything but the service token is the custom resource's own business.
      if (properties.ServiceToken === undefined) {
        this.report('missing-property', `${propertiesPath}.ServiceToken`, `${type} requires ServiceToken`);
      }
      return;
    }
    const spec = this.spec(type);
    if (!spec) {
      const sameService = this.db
        .all('resource')
        .map((candidate) => candidate.cloudFormationType)
        .filter((candidate) => candidate.split('::')[1] === type.split('::')[1]);
      this.report(
        'unknown-type',
        `${path}.Type`,
        `${type} is not a CloudFormation resource type${didYouMean(type, sameService)}`,
      );
      return;
    }
    this.problems.push(...this.checkObject(properties, spec.properties, propertiesPath, type));
  }

  private checkObject(value: Json, properties: ResourceProperties, path: string, owner: string): Problem[] {
    const problems: Problem[] = [];
    const known = Object.keys(properties);
    for (const [name, item] of Object.entries(value)) {
      const property = properties[name];
      if (property === undefined) {
        problems.push({
          kind: 'unknown-property',
          path: `${path}.${name}`,
          message: `${owner} has no property ${name}${didYouMean(name, known)}`,
        });
      } else {
        // The current schema only: it is what CloudFormation validates against, whatever the type once was.
        problems.push(...this.checkValue(item, property.type, `${path}.${name}`));
      }
    }
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) {
        problems.push({ kind: 'missing-property', path: `${path}.${name}`, message: `${owner} requires ${name}` });
      }
    }
    return problems;
  }

  private checkValue(value: unknown, type: PropertyType, path: string): Problem[] {
    const wrong = (): Problem[] => [
      { kind: 'wrong-type', path, message: `expected ${this.describeType(type)}, not ${describeValue(value)}` },
    ];
    if (isIntrinsic(value)) {
      const [name, argument] = Object.entries(value)[0] as [string, unknown];
      if (name === 'Fn::If') {
        if (!Array.isArray(argument)) return [];
        return [argument[1], argument[2]].flatMap((branch, index) =>
          this.checkValue(branch, type, `${path}.Fn::If[${index + 1}]`),
        );
      }
      const result = this.resultOf(name, argument);
      if (result === 'absent' || result === 'unknown' || type.type === 'json') return [];
      if (type.type === 'union') return type.types.some((member) => this.fits(result, member)) ? [] : wrong();
      return this.fits(result, type) ? [] : wrong();
    }
    switch (type.type) {
      case 'json':
        return [];
      case 'string':
      case 'date-time': {
        if (!['string', 'number', 'boolean'].includes(typeof value)) return wrong();
        const allowed = type.type === 'string' ? type.allowedValues : undefined;
        if (allowed && !allowed.includes(String(value))) {
          return [{ kind: 'enum', path, message: `${String(value)} is not one of ${allowed.join(', ')}` }];
        }
        return [];
      }
      case 'integer':
      case 'number': {
        // CloudFormation reads "5" as 5, so a numeric string is as good as a number.
        const number = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
        if (typeof number !== 'number' || (type.type === 'integer' && !Number.isInteger(number))) return wrong();
        const allowed = type.type === 'integer' ? type.allowedValues : undefined;
        if (allowed && !allowed.includes(number)) {
          return [{ kind: 'enum', path, message: `${number} is not one of ${allowed.join(', ')}` }];
        }
        return [];
      }
      case 'boolean':
        return typeof value === 'boolean' || value === 'true' || value === 'false' ? [] : wrong();
      case 'null':
        return value === null ? [] : wrong();
      case 'tag': {
        if (!isObject(value)) return wrong();
        const tag = {
          Key: { type: { type: 'string' }, required: true },
          Value: { type: { type: 'string' }, required: true },
        };
        return this.checkObject(value, tag as ResourceProperties, path, 'A tag');
      }
      case 'ref': {
        if (!isObject(value)) return wrong();
        const definition = this.db.get('typeDefinition', type.reference);
        return this.checkObject(value, definition.properties, path, definition.name);
      }
      case 'array':
        if (!Array.isArray(value)) return wrong();
        return value.flatMap((element, index) => this.checkValue(element, type.element, `${path}[${index}]`));
      case 'map':
        if (!isObject(value)) return wrong();
        return Object.entries(value).flatMap(([key, element]) =>
          this.checkValue(element, type.element, `${path}.${key}`),
        );
      case 'union': {
        const attempts = type.types.map((member) => this.checkValue(value, member, path));
        if (attempts.some((problems) => problems.length === 0)) return [];
        const shapeOnly = attempts.every((problems) => problems.length === 1 && problems[0]?.path === path);
        if (shapeOnly) return wrong();
        // The member closest to the value says best what is wrong with it.
        return attempts.reduce((best, problems) => (problems.length < best.length ? problems : best));
      }
    }
  }

  private fits(result: 'string' | 'list', type: PropertyType): boolean {
    if (type.type === 'array') return result === 'list';
    if (['ref', 'map', 'tag', 'null'].includes(type.type)) return false;
    return result === 'string';
  }

  private resultOf(name: string, argument: unknown): Result {
    if (STRING_RESULTS.includes(name)) return 'string';
    if (LIST_RESULTS.includes(name)) return 'list';
    if (name === 'Ref' && typeof argument === 'string') {
      if (argument === 'AWS::NoValue') return 'absent';
      if (argument === 'AWS::NotificationARNs') return 'list';
      if (PSEUDO_PARAMETERS.has(argument) || Object.hasOwn(this.resources, argument)) return 'string';
      const parameter = this.parameters[argument];
      if (!isObject(parameter) || typeof parameter.Type !== 'string') return 'unknown';
      return parameter.Type.startsWith('List<') ||
        parameter.Type.includes('<List<') ||
        parameter.Type === 'CommaDelimitedList'
        ? 'list'
        : 'string';
    }
    if (name === 'Fn::GetAtt') {
      const [id, attribute] = this.getAttTarget(argument) ?? [];
      const resource = id === undefined ? undefined : this.resources[id];
      const type = isObject(resource) && typeof resource.Type === 'string' ? resource.Type : undefined;
      const spec = type === undefined || typeof attribute !== 'string' ? undefined : this.spec(type);
      const kind = spec?.attributes[attribute as string]?.type.type;
      if (kind === 'array') return 'list';
      return kind === 'string' || kind === 'integer' || kind === 'number' || kind === 'boolean' ? 'string' : 'unknown';
    }
    return 'unknown';
  }

  private describeType(type: PropertyType): string {
    switch (type.type) {
      case 'ref':
        return `an object (${this.db.get('typeDefinition', type.reference).name})`;
      case 'array':
        return `a list of ${this.describeType(type.element).replace(/^an? /, '')}`;
      case 'map':
        return 'a map';
      case 'union':
        return type.types.map((member) => this.describeType(member)).join(' or ');
      case 'tag':
        return 'a tag ({ Key, Value })';
      case 'integer':
        return 'an integer';
      default:
        return `a ${type.type}`;
    }
  }

  private checkDependsOn(id: string, dependsOn: unknown, path: string): void {
    if (dependsOn === undefined) return;
    const targets = Array.isArray(dependsOn) ? dependsOn : [dependsOn];
    targets.forEach((target, index) => {
      const at = Array.isArray(dependsOn) ? `${path}[${index}]` : path;
      if (typeof target !== 'string') this.report('wrong-type', at, 'DependsOn names resources by logical id');
      else if (target === id || !Object.hasOwn(this.resources, target)) {
        this.report('missing-target', at, `${target} is not another resource of this template`);
      }
    });
  }

  private checkCondition(name: unknown, path: string): void {
    if (typeof name === 'string' && !Object.hasOwn(this.conditions, name)) {
      this.report('missing-target', path, `no condition ${name} in Conditions`);
    }
  }

  private checkUpdatePolicy(policy: unknown, path: string): void {
    if (!isObject(policy)) return;
    for (const [key, value] of Object.entries(policy)) {
      if (!UPDATE_POLICIES.includes(key)) {
        this.report('unknown-property', `${path}.${key}`, `not an update policy${didYouMean(key, UPDATE_POLICIES)}`);
      } else if (key === 'CodeDeployLambdaAliasUpdate' && isObject(value)) {
        for (const name of Object.keys(value)) {
          if (!ALIAS_UPDATE_KEYS.includes(name)) {
            this.report('unknown-property', `${path}.${key}.${name}`, `${key} has no property ${name}`);
          }
        }
        for (const name of ALIAS_UPDATE_KEYS.slice(0, 2)) {
          if (!(name in value)) this.report('missing-property', `${path}.${key}.${name}`, `${key} requires ${name}`);
        }
      }
    }
  }

  private getAttTarget(argument: unknown): [string, unknown] | undefined {
    if (typeof argument === 'string' && argument.includes('.')) {
      const dot = argument.indexOf('.');
      return [argument.slice(0, dot), argument.slice(dot + 1)];
    }
    if (Array.isArray(argument) && argument.length === 2 && typeof argument[0] === 'string') {
      return [argument[0], argument[1]];
    }
    return undefined;
  }

  /** Finds every intrinsic function under `value` and checks that what it names exists. */
  private walkReferences(value: unknown, path: string, inConditions: boolean): void {
    if (Array.isArray(value)) {
      for (const [index, element] of value.entries()) this.walkReferences(element, `${path}[${index}]`, inConditions);
      return;
    }
    if (!isObject(value)) return;
    const entries = Object.entries(value);
    const [name, argument] = entries[0] ?? [];
    if (entries.length === 1 && name !== undefined) {
      const at = `${path}.${name}`;
      if (name === 'Ref') this.checkRef(argument, at);
      else if (name === 'Fn::GetAtt') this.checkGetAtt(argument, at);
      else if (name === 'Fn::Sub') this.checkSub(argument, at);
      else if (name === 'Fn::If' && Array.isArray(argument)) this.checkCondition(argument[0], `${at}[0]`);
      else if (name === 'Condition' && inConditions) this.checkCondition(argument, at);
      else if (name === 'Fn::FindInMap' && Array.isArray(argument) && typeof argument[0] === 'string') {
        if (!Object.hasOwn(this.mappings, argument[0])) {
          this.report('missing-target', `${at}[0]`, `no mapping ${argument[0]} in Mappings`);
        }
      }
    }
    for (const [key, item] of entries) this.walkReferences(item, `${path}.${key}`, inConditions);
  }

  private checkRef(target: unknown, path: string): void {
    if (typeof target !== 'string') {
      this.report('wrong-type', path, 'Ref takes the name of a parameter or resource');
      return;
    }
    if (
      PSEUDO_PARAMETERS.has(target) ||
      Object.hasOwn(this.parameters, target) ||
      Object.hasOwn(this.resources, target)
    ) {
      return;
    }
    const known = [...Object.keys(this.resources), ...Object.keys(this.parameters)];
    this.report(
      'missing-target',
      path,
      `${target} is neither a parameter, a resource nor a pseudo parameter${didYouMean(target, known)}`,
    );
  }

  private checkGetAtt(argument: unknown, path: string): void {
    const target = this.getAttTarget(argument);
    if (!target) {
      this.report('wrong-type', path, 'Fn::GetAtt takes [logical id, attribute] or "id.attribute"');
      return;
    }
    const [id, attribute] = target;
    const resource = this.resources[id];
    if (!isObject(resource)) {
      this.report(
        'missing-target',
        path,
        `${id} is not a resource of this template${didYouMean(id, Object.keys(this.resources))}`,
      );
      return;
    }
    const type = String(resource.Type);
    // An attribute chosen by a Ref is only known at deploy time; a custom resource returns whatever it likes.
    if (typeof attribute !== 'string' || isCustomResource(type) || type === 'AWS::CDK::Metadata') return;
    if (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) return;
    const spec = this.spec(type);
    if (!spec || Object.hasOwn(spec.attributes, attribute)) return;
    const known = Object.keys(spec.attributes);
    this.report('unknown-attribute', path, `${type} has no attribute ${attribute}${didYouMean(attribute, known)}`);
  }

  private checkSub(argument: unknown, path: string): void {
    const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
    if (typeof text !== 'string') return;
    const local = isObject(variables) ? variables : {};
    for (const [, inner] of text.matchAll(/\$\{([^}]*)\}/g)) {
      const name = (inner ?? '').trim();
      // ${!Literal} writes "${Literal}" as it stands.
      if (name.startsWith('!') || Object.hasOwn(local, name)) continue;
      const dot = name.indexOf('.');
      if (dot > 0 && !PSEUDO_PARAMETERS.has(name)) this.checkGetAtt([name.slice(0, dot), name.slice(dot + 1)], path);
      else this.checkRef(name, path);
    }
  }
}
