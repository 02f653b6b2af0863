# SPDX-License-Identifier: Apache-2.0
# jwt-login answers an unknown user as slowly as a wrong password, in
# every process and from the first request after start (no account
# enumeration by timing): prefork with 5 children, 12 accounts hashed with
# bcrypt at cost 10 (htpasswd -B -C 10), 20 logins of unknown users and
# then 20 wrong passwords of real ones, each on a fresh connection
# (KeepAlive Off), so the unknown users meet processes that never checked a
# real password. The medians
# must be within 25 % of each other. (Before the fix a process that had
# not yet checked a real password stood in a cost-5 bcrypt: 5-20x faster.)
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance;
use File::Temp qw(tempdir);
use JSON;
use HTTP::Request;
use Time::HiRes qw(time);

my $keys = AuthJWT::Instance::keys_dir();
my $mods = AuthJWT::Instance::modules_dir();
my $aux = tempdir('ajwt-timing-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $aux;
my @users = map { "user$_" } 1 .. 12;
open my $fh, '>', "$aux/users" or die $!;
for my $u (@users) {
    my $l = `htpasswd -nbB -C 10 $u 'pw-$u'`;
    die "htpasswd failed" if $? || $l !~ /^\Q$u\E:\$2y\$10\$/;
    $l =~ s/\n+\z/\n/;
    print $fh $l;
}
close $fh;
chmod 0644, "$aux/users";

my $h = AuthJWT::Instance->new(name => 'timing', children => 5,
                               conf => <<"C");
LoadModule authn_file_module $mods/mod_authn_file.so
AuthJWTRevocationStore shm
<Location "/auth/login">
    SetHandler jwt-login
    AuthJWTSignKey $keys/ec256.key ES256 t1
    AuthJWTIssuer https://timing.test
    AuthUserFile $aux/users
</Location>
C
$h->start;

sub login_ms {
    my ($user, $pass) = @_;
    my $r = HTTP::Request->new(POST => $h->url('/auth/login'));
    $r->header('Content-Type' => 'application/json');
    $r->content(encode_json({ username => $user, password => $pass }));
    my $t = time;
    my $res = $h->ua->request($r);
    return ($res->code, (time - $t) * 1000);
}
sub median {
    my @s = sort { $a <=> $b } @_;
    return @s % 2 ? $s[$#s / 2] : ($s[@s / 2 - 1] + $s[@s / 2]) / 2;
}

my (@unknown, @wrong, %codes);
# unknown users first: right after start no process has checked a real
# password yet (the cold case, where a process has nothing measured)
for my $i (0 .. 19) {
    my ($c, $ms) = login_ms("nobody$i", 'whatever');
    push @unknown, $ms;
    $codes{$c}++;
}
for my $i (0 .. 19) {
    my ($c, $ms) = login_ms($users[$i % @users], 'wrong-password');
    push @wrong, $ms;
    $codes{$c}++;
}
is_deeply(\%codes, { 401 => 40 }, 'every login refused with 401');
my ($mu, $mw) = (median(@unknown), median(@wrong));
my $ratio = $mw ? $mu / $mw : 0;
diag(sprintf 'median unknown user %.1f ms, wrong password %.1f ms, '
     . 'ratio %.2f; first unknown %.1f ms', $mu, $mw, $ratio, $unknown[0]);
cmp_ok($ratio, '>=', 0.75, 'unknown user not faster than 0.75x');
cmp_ok($ratio, '<=', 1.25, 'unknown user not slower than 1.25x');
cmp_ok($unknown[0], '>=', 0.5 * $mw,
       'the very first request (a cold process) is no shortcut either');
my ($ok) = login_ms('user1', 'pw-user1');
is($ok, 200, 'the right password logs in');
$h->stop;
done_testing();
