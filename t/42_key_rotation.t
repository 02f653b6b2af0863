# SPDX-License-Identifier: Apache-2.0
# Key rotation on a running server, through graceful restarts, with wrk
# loading a token of the new key all along (it must never fail once that
# key is listed):
#   1. one key listed (kid old): old tokens 200, new-key tokens 401;
#   2. the new key added as a second AuthJWTKey line: both 200;
#   3. the old key's line removed: old 401 (no matching key), new 200;
#   4. a key file rotated on disk under the same name (no kid, on /q): nothing
#      changes until the graceful restart, then only the new key verifies;
#   5. never a half-loaded key set: a configuration listing a good key and
#      a broken key file, a JWK Set with one broken member, and the
#      running configuration's own key file overwritten with garbage, each
#      fail `httpd -t` and `httpd -k graceful` as a whole; the server keeps
#      its generation and its keys (tokens that passed still pass, the key
#      the broken configuration would have added is not there).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use AuthJWT::Instance;
use AuthJWT::Faults;
use File::Copy qw(copy);
use Time::HiRes qw(sleep time);

my $src = keys_dir();
my $h = AuthJWT::Instance->new(mpm => 'event', procs => 2, threads => 4,
                               name => 'rot', loglevel => 'info');
my $kd = $h->dir . '/keys';
mkdir $kd or die "$kd: $!";
chmod 0755, $kd;

sub put {
    my ($from, $to) = @_;
    # written aside and renamed: a reader never sees half a file
    copy("$src/$from", "$kd/$to.tmp") or die "copy $from: $!";
    chmod 0644, "$kd/$to.tmp";
    rename "$kd/$to.tmp", "$kd/$to" or die "rename: $!";
}
sub spew_key {
    my ($to, $data) = @_;
    AuthJWT::Instance::spew("$kd/$to.tmp", $data);
    rename "$kd/$to.tmp", "$kd/$to" or die "rename: $!";
}

put('rsa.pub', 'k-old.pub');
put('rsa2.pub', 'k-new.pub');
put('rsa.pub', 'current.pub');

# conf(@key lines for /p)
sub conf {
    my @keys = @_;
    my $k = join "\n", map { "    $_" } @keys;
    return <<"C";
<Location /p>
    AuthType jwt
    AuthName ajwt
$k
    Require valid-jwt
</Location>
<Location /q>
    AuthType jwt
    AuthName ajwt
    AuthJWTKey $kd/current.pub
    Require valid-jwt
</Location>
C
}

my $old = mint(alg => 'RS256', key => 'rsa', header => { kid => 'old' },
               claims => { exp => int(time) + 3600 });
my $new = mint(alg => 'RS256', key => 'rsa2', header => { kid => 'new' },
               claims => { exp => int(time) + 3600 });
my $plain_old = mint(alg => 'RS256', key => 'rsa',
                     claims => { exp => int(time) + 3600 });
my $plain_new = mint(alg => 'RS256', key => 'rsa2',
                     claims => { exp => int(time) + 3600 });

sub codes {
    my ($path, @t) = @_;
    return join ' ', map { $h->get($path, token => $_)->code } @t;
}

# Rewrite the configuration and restart gracefully: (rc of httpd -t,
# rc of httpd -k graceful, output).
sub regraceful {
    my @keys = @_;
    $h->{conf} = conf(@keys);
    my ($trc, $tout) = $h->configtest;
    my $gen = $h->generations;
    my $cmd = join ' ', AuthJWT::Instance::httpd_bin(), '-f', $h->conf_file,
                        '-k graceful';
    my $out = `$cmd 2>&1`;
    my $grc = $? >> 8;
    if (!$grc) {
        my $end = time + 10;
        sleep 0.05 while time < $end && $h->generations <= $gen;
        $h->wait_children;
        # old idle children leave at once; busy ones finish their request
        sleep 0.3;
    }
    return ($trc, $grc, $tout . $out);
}

# --- 1. only the old key ------------------------------------------------
$h->{conf} = conf("AuthJWTKey $kd/k-old.pub old");
$h->start;
my $parent = $h->pid;
is(codes('/p', $old, $new), '200 401', 'old key listed: old 200, new 401');
like($h->log_since(0), qr/AH70007: token refused/, 'new: no matching key');

# --- 2. both keys: the load with the new key starts now -------------------
my @r = regraceful("AuthJWTKey $kd/k-old.pub old",
                   "AuthJWTKey $kd/k-new.pub new");
is("$r[0] $r[1]", '0 0', 'two keys: httpd -t and graceful succeed')
    or diag($r[2]);
is(codes('/p', $old, $new), '200 200', 'both keys listed: both 200');
my $wrk = AuthJWT::Faults->wrk(url => $h->url('/p'), token => $new,
                               secs => 60, conns => 4, threads => 2);
sleep 0.5;

# --- 3. the old key removed ---------------------------------------------
my $mark = $h->log_mark;
@r = regraceful("AuthJWTKey $kd/k-new.pub new");
is("$r[0] $r[1]", '0 0', 'old key removed: graceful succeeds')
    or diag($r[2]);
my @c = $h->burst('/p', $old, 20, tag => 'o');
is(join(' ', grep { $_ != 401 } @c), '', 'old token: 401 on 20 connections');
like($h->log_since($mark), qr/AH70007: token refused \(no matching key\)/,
     'logged as no matching key');
is(codes('/p', $new), '200', 'new token: 200');

# --- 4. a key file rotated on disk under the same name -----------------
is(codes('/q', $plain_old, $plain_new), '200 401',
   '/q: the file holds the old key');
put('rsa2.pub', 'current.pub');
is(codes('/q', $plain_old, $plain_new), '200 401',
   'file replaced on disk: nothing changes before a restart');
@r = regraceful("AuthJWTKey $kd/k-new.pub new");
is("$r[0] $r[1]", '0 0', 'graceful succeeds') or diag($r[2]);
is(codes('/q', $plain_old, $plain_new), '401 200',
   'after the graceful restart: only the new key verifies');
my $gen = $h->generations;

# --- 5. never a half-loaded key set ---------------------------------------
spew_key('broken.pub', "-----BEGIN PUBLIC KEY-----\nAAAA\n"
                       . "-----END PUBLIC KEY-----\n");
{
    # a JWK Set whose second member is unusable (RSA without "e")
    require Crypt::PK::RSA;
    my $jwk = Crypt::PK::RSA->new("$src/rsa.pub")->export_key_jwk('public', 1);
    spew_key('half.jwks', json_c()->encode({ keys => [
        { %$jwk, kid => 'half-good' },
        { kty => 'RSA', kid => 'half-bad', n => $jwk->{n} } ] }));
}
my @half = (
    [ 'a good key and a broken key file',
      "AuthJWTKey $kd/k-new.pub new", "AuthJWTKey $kd/k-old.pub old",
      "AuthJWTKey $kd/broken.pub broken" ],
    [ 'a JWK Set with one broken member',
      "AuthJWTKey $kd/k-new.pub new", "AuthJWTKey $kd/half.jwks" ],
    [ 'a missing second key file',
      "AuthJWTKey $kd/k-new.pub new", "AuthJWTKey $kd/k-old.pub old",
      "AuthJWTKey $kd/gone.pub gone" ],
);
for my $case (@half) {
    my ($name, @keys) = @$case;
    subtest "refused as a whole: $name" => sub {
        my ($trc, $grc, $out) = regraceful(@keys);
        isnt($trc, 0, 'httpd -t fails');
        isnt($grc, 0, 'httpd -k graceful fails');
        like($out, qr/Syntax error on line \d+ of \Q@{[ $h->conf_file ]}\E/,
             'naming the configuration file') or diag($out);
        is($h->generations, $gen, 'no new generation');
        is($h->pid, $parent, 'the server keeps running');
        is(codes('/p', $new, $old), '200 401',
           'the running keys unchanged: new 200, old (which the broken '
           . 'configuration would add) still 401');
    };
}
subtest 'the running key file overwritten with garbage' => sub {
    spew_key('k-new.pub', "not a key any more\n");
    my ($trc, $grc, $out) = regraceful("AuthJWTKey $kd/k-new.pub new");
    isnt($trc, 0, 'httpd -t fails');
    isnt($grc, 0, 'httpd -k graceful fails');
    like($out, qr/AuthJWTKey: .*k-new\.pub/, 'naming the key file')
        or diag($out);
    is($h->generations, $gen, 'no new generation');
    is(codes('/p', $new), '200', 'the key loaded at start-up still serves');
    put('rsa2.pub', 'k-new.pub');
};

my $res = $wrk->wait(interrupt => 1);
subtest 'load with the new key through every restart and refusal' => sub {
    ok($res->{requests} > 200, "wrk made $res->{requests} requests");
    is_deeply($res->{codes}, { 200 => $res->{answered} },
              'every answer 200 (' . join(' ', map { "$_=$res->{codes}{$_}" }
                                     sort keys %{ $res->{codes} }) . ')');
    is($res->{socket_errors}, 0, 'no socket error');
} or diag($res->{output});

is($h->pid, $parent, 'same parent throughout');
unlike($h->log_since(0), qr/exit signal|AH00052|Segmentation fault/,
       'no child crashed');
$h->stop;
done_testing;
