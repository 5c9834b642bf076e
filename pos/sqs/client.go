package sqs

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
)

// NewClient makes an SQS client for queueURL with the AWS default
// credential chain. The region is AWS_REGION (or the shared config's), or
// else read from the queue URL (https://sqs.<region>.amazonaws.com/…).
// endpoint, if set, replaces the service endpoint (a VPC endpoint, or a
// test server).
func NewClient(ctx context.Context, queueURL, endpoint string) (*awssqs.Client, error) {
	u, err := url.Parse(queueURL)
	if err != nil || u.Host == "" || !strings.HasSuffix(u.Path, ".fifo") {
		return nil, fmt.Errorf("POS_EVENTS_QUEUE_URL %q is not the URL of an SQS FIFO queue (…/name.fifo)", queueURL)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for SQS: %w", err)
	}
	if cfg.Region == "" {
		if parts := strings.Split(u.Hostname(), "."); len(parts) >= 4 && parts[0] == "sqs" {
			cfg.Region = parts[1]
		}
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region for SQS: set AWS_REGION")
	}
	return awssqs.NewFromConfig(cfg, func(o *awssqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}
