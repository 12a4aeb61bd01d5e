import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import { describe, expect, it } from 'vitest';
import type { EnvironmentName } from '../../infra/environments.ts';
import type { EnvironmentSettings } from '../../infra/settings.ts';
import { PRIVATE_API, synthesize } from './synth.ts';
import { checkTemplate, type ProblemKind } from './template-schema.ts';

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is untyped JSON.
type Template = Record<string, any>;

const db = await loadAwsServiceSpec();

const SHAPES: Array<[string, EnvironmentName, Partial<EnvironmentSettings>]> = [
  ['dev', 'dev', {}],
  ['staging', 'staging', {}],
  ['prod', 'prod', {}],
  ['staging behind a private endpoint, its heartbeat in the VPC', 'staging', PRIVATE_API],
  [
    'staging behind a WAF web ACL',
    'staging',
    { wafWebAclArn: 'arn:aws:wafv2:ap-south-1:111111111111:regional/webacl/payments/0a1b2c3d' },
  ],
  [
    'staging with an imported secret and an imported KMS key',
    'staging',
    {
      secretArn: 'arn:aws:secretsmanager:ap-south-1:111111111111:secret:cashfree-AbCdEf',
      kmsKey: { arn: 'arn:aws:kms:ap-south-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
    },
  ],
  ['prod with a linear release', 'prod', { release: { strategy: 'linear', percent: 25, intervalMinutes: 2 } }],
  [
    'prod with fixed egress addresses in two zones',
    'prod',
    { egress: { availabilityZones: ['ap-south-1a', 'ap-south-1b'] } },
  ],
];
// Synthesized once for the whole file: each synthesis bundles the functions.
const TEMPLATES = new Map(
  SHAPES.map(([shape, name, overrides]) => [shape, synthesize(name, overrides).template.toJSON() as Template]),
);

describe.each(SHAPES)('the %s template', (shape) => {
  it('passes every check against CloudFormation’s registry schemas', () => {
    const template = TEMPLATES.get(shape) as Template;
    expect(Object.keys(template.Resources).length).toBeGreaterThan(0);
    expect(checkTemplate(template, db)).toEqual([]);
  });
});

/** A copy of the real staging template, and the logical id of the first resource of each type asked for. */
function staging(): { template: Template; first: (type: string) => string } {
  const template = structuredClone(TEMPLATES.get('staging') as Template);
  const first = (type: string): string => {
    const id = Object.keys(template.Resources).find((key) => template.Resources[key].Type === type);
    if (!id) throw new Error(`the staging template has no ${type}`);
    return id;
  };
  return { template, first };
}

const propertiesOf = (template: Template, id: string): Template => {
  template.Resources[id].Properties ??= {};
  return template.Resources[id].Properties;
};

type First = (type: string) => string;
type Plant = (template: Template, first: First) => string;

/** Sets one property of the first resource of `type`; the mistake is reported there, or `below` it. */
const setting =
  (type: string, property: string, value: unknown, below = ''): Plant =>
  (template, first) => {
    const id = first(type);
    propertiesOf(template, id)[property] = value;
    return `Resources.${id}.Properties.${property}${below}`;
  };
/** The same, for a value that names another resource of the template. */
const settingTo =
  (type: string, property: string, value: (first: First) => unknown, below = ''): Plant =>
  (template, first) =>
    setting(type, property, value(first), below)(template, first);

const FUNCTION = 'AWS::Lambda::Function';
const ALARM = 'AWS::CloudWatch::Alarm';

const MISTAKES: Array<[string, ProblemKind, Plant]> = [
  [
    'a misspelt resource type',
    'unknown-type',
    (template, first) => {
      const id = first('AWS::Logs::LogGroup');
      template.Resources[id].Type = 'AWS::Logs::LogGrup';
      return `Resources.${id}.Type`;
    },
  ],
  ['a misspelt property', 'unknown-property', setting(FUNCTION, 'Runtim', 'nodejs24.x')],
  [
    'a property of a nested type that does not exist',
    'unknown-property',
    setting(FUNCTION, 'TracingConfig', { Mode: 'Active', Sampling: 5 }, '.Sampling'),
  ],
  [
    'a missing required property',
    'missing-property',
    (template, first) => {
      const id = first('AWS::IAM::Role');
      delete propertiesOf(template, id).AssumeRolePolicyDocument;
      return `Resources.${id}.Properties.AssumeRolePolicyDocument`;
    },
  ],
  ['text where an integer belongs', 'wrong-type', setting(FUNCTION, 'MemorySize', 'lots')],
  ['one string where a list belongs', 'wrong-type', setting(FUNCTION, 'Architectures', 'arm64')],
  [
    'an object inside a list of strings',
    'wrong-type',
    setting(ALARM, 'OKActions', [{ TopicArn: 'arn:aws:sns:ap-south-1:111111111111:t' }], '[0]'),
  ],
  [
    'a list where a map of a nested type belongs',
    'wrong-type',
    setting(FUNCTION, 'Environment', { Variables: ['CASHFREE_ENVIRONMENT=sandbox'] }, '.Variables'),
  ],
  [
    'a joined string where a list belongs',
    'wrong-type',
    setting(ALARM, 'AlarmActions', { 'Fn::Join': [',', ['arn:aws:sns:ap-south-1:111111111111:a']] }),
  ],
  [
    'a wrong type in one branch of an Fn::If',
    'wrong-type',
    (template, first) => {
      template.Conditions = { ...template.Conditions, Big: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'ap-south-1'] } };
      return setting(FUNCTION, 'Timeout', { 'Fn::If': ['Big', 10, { seconds: 10 }] }, '.Fn::If[2]')(template, first);
    },
  ],
  ['a string value outside the registry’s enum', 'enum', setting(FUNCTION, 'TracingConfig', { Mode: 'On' }, '.Mode')],
  ['an integer value outside the registry’s enum', 'enum', setting('AWS::Logs::LogGroup', 'RetentionInDays', 42)],
  [
    'a Ref to nothing',
    'missing-target',
    setting('AWS::Lambda::Alias', 'FunctionName', { Ref: 'FunctionHandlerGone' }, '.Ref'),
  ],
  [
    'a Ref to a misspelt pseudo parameter',
    'missing-target',
    setting(FUNCTION, 'Description', { Ref: 'AWS::Regoin' }, '.Ref'),
  ],
  [
    'an Fn::GetAtt of a resource that does not exist',
    'missing-target',
    setting(FUNCTION, 'Role', { 'Fn::GetAtt': ['RoleGone', 'Arn'] }, '.Fn::GetAtt'),
  ],
  [
    'an Fn::GetAtt of an attribute the resource type does not have',
    'unknown-attribute',
    settingTo(FUNCTION, 'Role', (first) => ({ 'Fn::GetAtt': [first('AWS::IAM::Role'), 'RoleArn'] }), '.Fn::GetAtt'),
  ],
  [
    'an Fn::Sub of a resource that does not exist',
    'missing-target',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own ${} syntax, not a JavaScript template.
    setting(FUNCTION, 'Description', { 'Fn::Sub': 'runs in ${AWS::Region} for ${ApiGone}' }, '.Fn::Sub'),
  ],
  [
    'an Fn::Sub of an attribute the resource type does not have',
    'unknown-attribute',
    settingTo(
      FUNCTION,
      'Description',
      (first) => ({ 'Fn::Sub': `role \${${first('AWS::IAM::Role')}.Name}` }),
      '.Fn::Sub',
    ),
  ],
  [
    'a DependsOn on a resource that does not exist',
    'missing-target',
    (template, first) => {
      const id = first('AWS::Lambda::Alias');
      template.Resources[id].DependsOn = ['PreTrafficHookGone'];
      return `Resources.${id}.DependsOn[0]`;
    },
  ],
  [
    'an Fn::If on a condition that does not exist',
    'missing-target',
    setting(FUNCTION, 'MemorySize', { 'Fn::If': ['IsProd', 1024, 512] }, '.Fn::If[0]'),
  ],
  [
    'an Output whose GetAtt names a resource that does not exist',
    'missing-target',
    (template) => {
      template.Outputs = { ...template.Outputs, Gone: { Value: { 'Fn::GetAtt': ['FunctionGone', 'Arn'] } } };
      return 'Outputs.Gone.Value.Fn::GetAtt';
    },
  ],
];

describe('a mistake planted in a copy of the staging template', () => {
  it.each(MISTAKES)('%s is reported, and nothing else', (_mistake, kind, plant) => {
    const { template, first } = staging();
    const path = plant(template, first);
    expect(checkTemplate(template, db)).toEqual([{ kind, path, message: expect.any(String) }]);
  });

  it('names the type, property or attribute meant when a name is misspelt', () => {
    const { template, first } = staging();
    const fn = first('AWS::Lambda::Function');
    propertiesOf(template, fn).Runtim = 'nodejs24.x';
    propertiesOf(template, fn).Role = { 'Fn::GetAtt': [first('AWS::IAM::Role'), 'Arm'] };
    template.Resources[first('AWS::Logs::LogGroup')].Type = 'AWS::Logs::LogGrup';
    expect(checkTemplate(template, db).map(({ message }) => message)).toEqual(
      expect.arrayContaining([
        'AWS::Lambda::Function has no property Runtim (did you mean Runtime?)',
        'AWS::IAM::Role has no attribute Arm (did you mean Arn?)',
        'AWS::Logs::LogGrup is not a CloudFormation resource type (did you mean AWS::Logs::LogGroup?)',
      ]),
    );
  });
});

describe('values built with intrinsic functions', () => {
  it('are accepted where a string, a number or a list is expected', () => {
    const { template, first } = staging();
    const fn = first('AWS::Lambda::Function');
    template.Parameters = { ...template.Parameters, Memory: { Type: 'Number' }, Subnets: { Type: 'List<String>' } };
    template.Conditions = { ...template.Conditions, InIndia: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'ap-south-1'] } };
    Object.assign(propertiesOf(template, fn), {
      MemorySize: { Ref: 'Memory' },
      Description: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }]] },
      Timeout: { 'Fn::If': ['InIndia', 10, { Ref: 'AWS::NoValue' }] },
      Architectures: { 'Fn::If': ['InIndia', ['arm64'], ['x86_64']] },
      VpcConfig: { SubnetIds: { Ref: 'Subnets' }, SecurityGroupIds: { 'Fn::Split': [',', 'sg-1,sg-2'] } },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own ${} syntax, not a JavaScript template.
      KmsKeyArn: { 'Fn::Sub': ['arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Id}', { Id: 'k' }] },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own ${} syntax, not a JavaScript template.
      Handler: { 'Fn::Sub': 'index.${!handler}' },
    });
    expect(checkTemplate(template, db)).toEqual([]);
  });

  it('still report a Ref to a resource, a string, where a list is expected', () => {
    const { template, first } = staging();
    const fn = first('AWS::Lambda::Function');
    propertiesOf(template, fn).Layers = { Ref: first('AWS::IAM::Role') };
    expect(checkTemplate(template, db)).toEqual([
      { kind: 'wrong-type', path: `Resources.${fn}.Properties.Layers`, message: 'expected a list of string, not Ref' },
    ]);
  });
});

describe('custom resources', () => {
  it('need only a ServiceToken, since their properties and attributes are their own', () => {
    const { template, first } = staging();
    const fn = first('AWS::Lambda::Function');
    template.Resources.Lookup = { Type: 'Custom::Lookup', Properties: { Anything: [1, { deep: true }] } };
    propertiesOf(template, fn).Description = { 'Fn::GetAtt': ['Lookup', 'Whatever.It.Returns'] };
    expect(checkTemplate(template, db)).toEqual([
      { kind: 'missing-property', path: 'Resources.Lookup.Properties.ServiceToken', message: expect.any(String) },
    ]);
  });
});
