"""BigNAS (Yu et al., 2020): one weight-sharing supernet whose subnets need no retraining."""
