import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS, type EnvironmentName } from '../../infra/environments.ts';
import { readEnvironment } from '../../infra/settings.ts';
import {
  acknowledgements,
  cryptogramFunctionId,
  logicalIdOf,
  propertiesOf,
  SUBNET_ACTIONS,
  synthesize,
} from './synth.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation values are untyped JSON.
type Json = any;

const problemsOf = (name: string, egress: unknown, base: object = ENVIRONMENTS.staging): string => {
  try {
    readEnvironment(name, { ...base, egress });
  } catch (error) {
    return (error as Error).message;
  }
  return '';
};

describe('the egress setting', () => {
  it('is off in every shipped environment: no VPC, and the function has no VpcConfig', () => {
    for (const name of Object.keys(ENVIRONMENTS) as EnvironmentName[]) {
      expect(ENVIRONMENTS[name]).not.toHaveProperty('egress');
    }
    const { template } = synthesize('prod');
    expect(template.findResources('AWS::EC2::VPC')).toEqual({});
    expect(propertiesOf(template, 'AWS::Lambda::Function', cryptogramFunctionId(template))).not.toHaveProperty(
      'VpcConfig',
    );
  });

  it.each([
    [{}, 'staging.egress must be { availabilityZones: [names] } or { natGateways: 1 to 3 }, one of the two'],
    [{ natGateways: 2, availabilityZones: ['ap-south-1a'] }, 'one of the two'],
    [{ natGateways: 4 }, 'staging.egress.natGateways must be a whole number from 1 to 3'],
    [{ natGateway: 2 }, 'staging.egress.natGateway is not a setting (did you mean natGateways?)'],
    [{ availabilityZones: ['ap-south-1a', 'ap-south-1b', 'ap-south-1c', 'ap-south-1d'] }, 'must list 1 to 3 zone'],
    [{ availabilityZones: ['us-east-1a'] }, 'us-east-1a is not in ap-south-1, where the environment deploys'],
    [{ availabilityZones: ['aps1-az1'] }, 'aps1-az1 is not a zone name such as ap-south-1a'],
    [{ availabilityZones: ['ap-south-1a', 'ap-south-1a'] }, 'staging.egress.availabilityZones names a zone twice'],
    ['on', 'staging.egress must be { availabilityZones: [names] } or { natGateways: 1 to 3 }'],
  ])('refuses %j', (egress, problem) => {
    expect(problemsOf('staging', egress)).toContain(problem);
  });

  it('takes zone names only where the region is pinned, since a name means nothing elsewhere', () => {
    expect(problemsOf('dev', { availabilityZones: ['ap-south-1a'] }, ENVIRONMENTS.dev)).toContain(
      'dev.egress.availabilityZones needs a pinned region; an unpinned environment uses natGateways',
    );
    expect(problemsOf('dev', { natGateways: 1 }, ENVIRONMENTS.dev)).toBe('');
  });
});

describe('staging with egress: { natGateways: 2 }', () => {
  const { app, stack, template } = synthesize('staging', { egress: { natGateways: 2 } });
  const json: Json = template.toJSON();
  const functionId = cryptogramFunctionId(template);
  const fn = propertiesOf(template, 'AWS::Lambda::Function', functionId);
  const resources = (type: string): Array<[string, Json]> =>
    Object.entries(template.findResources(type)).map(([id, resource]) => [id, resource.Properties ?? {}]);

  it('gives each of two zones a NAT gateway with an Elastic IP of its own, in the region’s first two zones', () => {
    const addresses = resources('AWS::EC2::EIP').map(([id]) => id);
    expect(addresses).toHaveLength(2);
    const allocations = resources('AWS::EC2::NatGateway').map(([, props]) => props.AllocationId);
    expect(allocations).toEqual(addresses.map((id) => ({ 'Fn::GetAtt': [id, 'AllocationId'] })));
    const zones = resources('AWS::EC2::Subnet').map(([, props]) => props.AvailabilityZone);
    expect(new Set(zones.map((zone) => JSON.stringify(zone)))).toEqual(
      new Set([0, 1].map((index) => JSON.stringify({ 'Fn::Select': [index, { 'Fn::GetAZs': '' }] }))),
    );
  });

  it('outputs the addresses to give Cashfree, every one of them', () => {
    const ips = resources('AWS::EC2::EIP').map(([id]) => ({ 'Fn::GetAtt': [id, 'PublicIp'] }));
    expect(json.Outputs.CashfreeAllowListIps).toEqual({
      Description: expect.stringContaining("Cashfree's IP allow-list"),
      Value: { 'Fn::Join': [', ', ips] },
    });
    const [[, flowLog]] = resources('AWS::EC2::FlowLog') as [[string, Json]];
    expect(json.Outputs.EgressFlowLogGroup.Value).toEqual(flowLog.LogGroupName);
  });

  it('runs the function in the private subnets, whose only way out is their zone’s NAT gateway', () => {
    const privateSubnets = resources('AWS::EC2::Subnet')
      .filter(([, props]) => props.MapPublicIpOnLaunch === false)
      .map(([id]) => ({ Ref: id }));
    expect(privateSubnets).toHaveLength(2);
    expect(fn.VpcConfig.SubnetIds).toEqual(privateSubnets);
    const natRoutes = resources('AWS::EC2::Route').filter(([, props]) => props.NatGatewayId !== undefined);
    expect(natRoutes.map(([, props]) => props.DestinationCidrBlock)).toEqual(['0.0.0.0/0', '0.0.0.0/0']);
  });

  it('lets the function out on 443 only, and in on nothing', () => {
    const groupId = fn.VpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0];
    const group = propertiesOf(template, 'AWS::EC2::SecurityGroup', groupId);
    expect(group.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    expect(group.SecurityGroupIngress).toBeUndefined();
    const separate = resources('AWS::EC2::SecurityGroupEgress').filter(
      ([, props]) => props.GroupId['Fn::GetAtt']?.[0] === groupId,
    );
    expect(separate.map(([, props]) => [props.FromPort, props.ToPort])).toEqual([[443, 443]]);
    const ingress = resources('AWS::EC2::SecurityGroupIngress');
    expect(ingress.map(([, props]) => props.SourceSecurityGroupId)).toEqual([{ 'Fn::GetAtt': [groupId, 'GroupId'] }]);
  });

  it('reads the secret through a Secrets Manager endpoint whose policy allows that one secret only', () => {
    const [[, endpoint]] = resources('AWS::EC2::VPCEndpoint') as [[string, Json]];
    expect(endpoint).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    expect(JSON.stringify(endpoint.ServiceName)).toContain('secretsmanager');
    expect(endpoint.PolicyDocument.Statement).toEqual([
      {
        Action: 'secretsmanager:GetSecretValue',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Resource: { Ref: logicalIdOf(template, 'AWS::SecretsManager::Secret') },
      },
    ]);
  });

  it('logs every flow of the VPC, accepted and rejected', () => {
    const [[, flowLog]] = resources('AWS::EC2::FlowLog') as [[string, Json]];
    expect(flowLog).toMatchObject({ ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
  });

  it('lets Lambda attach the function’s network interfaces under its role', () => {
    const policies = resources('AWS::IAM::Policy').filter(([, props]) =>
      props.Roles.some((role: Json) => role.Ref === fn.Role['Fn::GetAtt'][0]),
    );
    const statements = policies.flatMap(([, props]) => props.PolicyDocument.Statement);
    // One statement for every "*" action: X-Ray's two and the six network-interface ones.
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: expect.arrayContaining(SUBNET_ACTIONS),
      Resource: '*',
    });
  });

  it('keeps the heartbeat out of the VPC: heartbeat.vpc is the callers’ network, a separate setting', () => {
    const heartbeat = resources('AWS::Lambda::Function').find(([id]) => id.startsWith('HeartbeatHandler'));
    expect(heartbeat?.[1]).not.toHaveProperty('VpcConfig');
  });

  it('adds one custom resource, CDK’s own that empties the default security group, and no other', () => {
    const custom = (types: string[]) =>
      types.filter((type) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource');
    const typesOf = (resources: Record<string, Json>) => Object.values(resources).map((r: Json) => r.Type as string);
    expect(custom(typesOf(template.toJSON().Resources))).toEqual(['Custom::VpcRestrictDefaultSG']);
    expect(custom(typesOf(synthesize('staging').template.toJSON().Resources))).toEqual([]);
  });

  it('synthesizes offline: no context lookup for the pinned account’s zones', () => {
    expect(app.synth().manifest.missing).toBeUndefined();
  });

  it('passes cdk-nag with nothing acknowledged beyond staging’s but what CDK’s FlowLog acknowledges itself', () => {
    const findings = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
      pack.validateScope(stack).violations.map((v) => v.ruleName),
    );
    expect(findings).toEqual([]);
    const rules = (of: typeof stack) => acknowledgements(of).map(({ id, path }) => `${id} @ ${path}`);
    const before = new Set(rules(synthesize('staging').stack));
    // The role's "*" was there already, for X-Ray; with egress its reason names the Describe calls too.
    expect(rules(stack).filter((rule) => !before.has(rule))).toEqual([
      'CloudFormation-Validate::F3002 @ CryptogramService-staging/Egress/Vpc/FlowLog',
      'CloudFormation-Validate::F3003 @ CryptogramService-staging/Egress/Vpc/FlowLog',
    ]);
  });
});

describe('prod with egress in two named zones', () => {
  const { app, template } = synthesize('prod', { egress: { availabilityZones: ['ap-south-1a', 'ap-south-1c'] } });

  it('puts the subnets, NAT gateways and addresses in exactly those zones, without a lookup', () => {
    const zones = Object.values(template.findResources('AWS::EC2::Subnet')).map((r) => r.Properties.AvailabilityZone);
    expect([...new Set(zones)].sort()).toEqual(['ap-south-1a', 'ap-south-1c']);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.resourceCountIs('AWS::EC2::EIP', 2);
    expect(app.synth().manifest.missing).toBeUndefined();
  });
});
