# SPDX-License-Identifier: Apache-2.0
# t/54 (of N concurrent refreshes with one refresh token exactly one wins;
# the losers keep the family; reuse after the grace window revokes it)
# against a Redis store: the rotation claim is Redis' atomic increment.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance;

plan skip_all => 'no redis-server' unless AuthJWT::Instance::redis_bin();
my $redis = AuthJWT::Instance->redis;
{ no warnings "once"; $main::RACE_STORE = 'redis://' . $redis->server; }
my $file = "$FindBin::Bin/54_refresh_race.t";
unless (my $rv = do $file) {
    die "t/56: $file: $@" if $@;
}
$redis->stop;
