# SPDX-License-Identifier: Apache-2.0
# Runs last: the whole error log of this run must hold no token text
# (the module logs at trace8 here; httpd's core is kept at info so that it
# does not log request headers itself).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;

my $log = log_since(0);
ok(length $log, 'error log read');
my @hits = $log =~ /(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})/g;
is(scalar @hits, 0, 'no JWT-looking text anywhere in the error log')
    or diag('first: ' . substr($hits[0], 0, 60));
my $n = () = $log =~ /\bAH700\d\d: token refused/g;
ok($n > 100, "refusals were logged ($n)");
unlike($log, qr/AH00052|Segmentation fault|exit signal/,
       'no child crashed during the run');

done_testing;
