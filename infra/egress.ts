import { Fn, Stack, Tags, Validations } from 'aws-cdk-lib';
import {
  CfnEIP,
  FlowLogDestination,
  FlowLogTrafficType,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  NatProvider,
  Peer,
  Port,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { AnyPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { retainedLogGroup } from './logs.ts';

/**
 * A fixed outgoing address for Cashfree's IP allow-list: the availability zones the function runs in, each with
 * a NAT gateway and an Elastic IP. Named (`ap-south-1a`), or a count of the region's first zones.
 */
export type EgressSettings = { availabilityZones: readonly string[] } | { natGateways: number };

/**
 * The zones of an egress setting, as the stack reports them: the names given, or `Fn::GetAZs` picks, so a synth
 * never looks anything up (a pinned stack's own zones would need a context lookup, with AWS credentials).
 */
export function egressZones(egress: EgressSettings): string[] {
  if ('availabilityZones' in egress) return [...egress.availabilityZones];
  return Array.from({ length: egress.natGateways }, (_, index) => Fn.select(index, Fn.getAzs()));
}

export interface FixedEgressProps {
  egress: EgressSettings;
  /** The one secret the function reads, through the endpoint. */
  secret: ISecret;
}

/**
 * The function's own VPC, used only to leave it from known addresses: private subnets routed through one NAT
 * gateway and Elastic IP per zone, a Secrets Manager interface endpoint that serves only this secret, flow logs,
 * and the function's security group, which lets out HTTPS and nothing else. Nothing else runs in it. (The
 * heartbeat's `heartbeat.vpc` is another thing: the callers' VPC, for calling a private API.)
 */
export class FixedEgress extends Construct {
  readonly vpc: Vpc;
  readonly securityGroup: SecurityGroup;
  readonly subnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
  readonly addresses: CfnEIP[];
  readonly flowLogs: LogGroup;

  constructor(scope: Construct, id: string, { egress, secret }: FixedEgressProps) {
    super(scope, id);
    const zones = egressZones(egress);
    if ('availabilityZones' in egress) {
      Validations.of(this).acknowledge({
        id: 'CloudFormation-Validate::W3010',
        reason:
          "The zones are named in the environment's egress setting on purpose, one NAT gateway and Elastic IP " +
          'each, in the one account and region the environment pins.',
      });
    }
    // Allocated here rather than by the NAT gateways, so their addresses can be put in an output.
    this.addresses = zones.map((_, index) => new CfnEIP(this, `Address${index + 1}`, { domain: 'vpc' }));
    this.addresses.forEach((address, index) => {
      Tags.of(address).add('Name', `${Stack.of(this).stackName} Cashfree egress ${index + 1}`);
    });

    this.vpc = new Vpc(this, 'Vpc', {
      // The VPC talks to nothing private, so its range only has to hold the subnets: a /28 public and a /26
      // private subnet per zone (Lambda's shared ENIs take a few addresses, the endpoint one per zone).
      ipAddresses: IpAddresses.cidr('10.0.0.0/24'),
      maxAzs: zones.length,
      natGateways: zones.length,
      natGatewayProvider: NatProvider.gateway({ eipAllocationIds: this.addresses.map((a) => a.attrAllocationId) }),
      subnetConfiguration: [
        { name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 28 },
        { name: 'Private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 26 },
      ],
    });

    this.flowLogs = retainedLogGroup(this, 'FlowLogs');
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(this.flowLogs),
      trafficType: FlowLogTrafficType.ALL,
    });

    this.securityGroup = new SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'Cryptogram function: HTTPS out (Cashfree through the NAT, Secrets Manager through its endpoint)',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to Cashfree through the NAT gateway');

    // Through the endpoint, not the NAT: the key pair's read stays on AWS's network, and the endpoint's policy
    // lets it read this one secret and nothing else in any account.
    const endpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: this.subnets,
      privateDnsEnabled: true,
      open: false,
    });
    endpoint.connections.allowDefaultPortFrom(this.securityGroup, 'The cryptogram function reads its secret');
    endpoint.addToPolicy(
      new PolicyStatement({
        principals: [new AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretArn],
      }),
    );
  }
}
