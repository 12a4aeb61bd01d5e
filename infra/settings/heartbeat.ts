import * as v from 'valibot';
import { idList, strict } from './schema.ts';

/** A call through the whole chain every minute, alarmed when it fails; unset: on in every environment but dev. */
export const heartbeatSetting = ({ name, vpcEndpointIds }: { name: string; vpcEndpointIds: unknown[] }) => {
  const privateApi = vpcEndpointIds.length > 0;
  /** Where the heartbeat runs when the API is private: in the callers' VPC, calling through one of its endpoints. */
  const vpc = strict(
    {
      subnetIds: idList('subnet', 'subnet id (subnet-...)'),
      securityGroupIds: idList('sg', 'security group id (sg-...)'),
      vpcEndpointId: v.custom<string>((id) => vpcEndpointIds.includes(id), ' must be one of endpoint.vpcEndpointIds'),
    },
    '{ subnetIds, securityGroupIds, vpcEndpointId }',
  );
  const privateHeartbeat =
    ' is required for a private API: the heartbeat must call from where callers do, through the VPC endpoint ' +
    '({ subnetIds, securityGroupIds, vpcEndpointId }), or set enabled: false';
  return v.optional(
    v.pipe(
      strict(
        {
          enabled: v.boolean(' must be true or false'),
          vpc: v.optional(privateApi ? vpc : v.never(' applies only to a private API (endpoint.vpcEndpointIds)')),
        },
        '{ enabled } or { enabled, vpc }',
      ),
      v.forward(
        v.check(({ enabled, vpc }) => !(enabled && privateApi && !vpc), privateHeartbeat),
        ['vpc'],
      ),
    ),
    { enabled: name !== 'dev' },
  );
};
