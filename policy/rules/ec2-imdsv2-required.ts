import { defineRule, judged, scalar } from '../engine/rule';

/** Instance credentials are not readable by a forged request: IMDSv2 (session tokens) only. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every instance, spot request, launch template and launch configuration requires IMDSv2 (http_tokens = "required") or disables the metadata endpoint.',
  remediation: 'Set metadata_options { http_tokens = "required" } (or http_endpoint = "disabled").',
  covers: ['aws_instance', 'aws_spot_instance_request', 'aws_launch_template', 'aws_launch_configuration'],
  checkov: ['CKV_AWS_79'],
  evaluate(ctx) {
    return ctx
      .ofType('aws_instance', 'aws_spot_instance_request', 'aws_launch_template', 'aws_launch_configuration')
      .map((r) => {
        const endpoint = scalar(r, 'metadata_options.http_endpoint');
        const tokens = scalar(r, 'metadata_options.http_tokens');
        if (endpoint.kind === 'value' && endpoint.value === 'disabled') return judged(r.address, []);
        if (tokens.kind === 'unknown')
          return judged(r.address, ['metadata_options.http_tokens is unknown at this stage']);
        return judged(r.address, [
          tokens.kind === 'value' && tokens.value === 'required'
            ? undefined
            : `metadata_options.http_tokens is ${tokens.kind === 'value' ? 'not "required"' : 'not set (IMDSv1 allowed)'}`,
        ]);
      });
  },
});
