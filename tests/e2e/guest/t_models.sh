# SPDX-License-Identifier: MIT
# The guest's own drivers on the emulated sensor, ADC, GPIO and RTC models
# (issue 13): guest 0 has all of them but the DS3231 on its bus, guest 1 (at
# the same time) the DS3231 on a bus of its own. Each client is instantiated
# with new_device and the value the host set at start (-e ...,NAME=VALUE, in
# /e2e/params) is read back through the driver's sysfs interface. Then,
# taking turns with the host through the mailbox at 0x40 (host_step, see
# tests/e2e/run.sh's models_helper):
#   step 1: the host `set`s new values on every model over the control
#           socket; the guest reads them back through the same files (SET_*);
#   step 2: the guest has set its RTC with hwclock -w (system time moved to
#           host time + GUEST_*OFFSET) and drives two GPIO lines; the host's
#           `get` must show the new offset and outputs.

bus=$(vi2c_bus) || {
	fail "no virtio-i2c adapter appeared"
	finish
	exit
}

# Instantiates MODEL at ADDR and checks that DRIVER bound to it.
bind() { # DRIVER-MODULE MODEL ADDR DRIVER
	local dir
	dir=$(client_dir "$bus" "$3")
	check_ok "modprobe $1" modprobe "$1" || return 1
	new_client "$bus" "$2" "$3"
	check_eq "$2 at $3: bound to $4" "$4" "$(basename "$(readlink "$dir/driver")" 2>/dev/null)"
}

# The first file matching a glob under the client's directory.
client_file() { # ADDR GLOB
	local f
	for f in $(client_dir "$bus" "$1")/$2; do
		[ -e "$f" ] && echo "$f" && return 0
	done
	return 1
}

# |ACTUAL - EXPECTED| <= TOLERANCE (decimal numbers).
check_near() { # WHAT EXPECTED TOLERANCE ACTUAL
	if [ -n "$4" ] && awk -v e="$2" -v t="$3" -v a="$4" \
		'BEGIN { d = a - e; if (d < 0) d = -d; exit !(d <= t) }'; then
		pass "$1 ($4, expected $2 +- $3)"
	else
		fail "$1: expected $2 +- $3, got '$4'"
	fi
}

# Reads a sysfs attribute, retrying while the driver is not ready (tmp102
# answers EAGAIN until its first conversion time has passed).
read_attr() { # FILE
	local i=0 v
	while [ $i -lt 20 ]; do
		v=$(cat "$1" 2>/dev/null) && echo "$v" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# --- RTC (rtc-ds1307, built out of tree): the clock runs at host time + offset ---

# The host's time: QEMU's CMOS RTC (rtc_cmos) follows the host clock. The
# guest's system clock may drift from it on a busy host (TCG), and step 2
# moves it on purpose.
host_now() {
	local c
	for c in /sys/class/rtc/rtc*; do
		case $(cat "$c/name" 2>/dev/null) in
		rtc_cmos*) cat "$c/since_epoch" ;;
		esac
	done
}

# The RTC device of the client at 0x68: sets RTC_SYS (sysfs) and RTC_DEV (/dev).
rtc_find() { # MODEL
	RTC_SYS=$(client_file 0x68 'rtc/rtc*')
	if [ -z "$RTC_SYS" ]; then
		fail "$1: no rtc device"
		return 1
	fi
	RTC_DEV=/dev/${RTC_SYS##*/}
}

# The clock reads host time + OFFSET (2 s) through sysfs and hwclock -r.
rtc_read_check() { # WHAT OFFSET
	local now
	now=$(host_now)
	check_near "$1: since_epoch = host time + offset" $((now + $2)) 2 "$(cat "$RTC_SYS/since_epoch")"
	# hwclock -r prints e.g. "Sun Nov 29 21:51:45 2026  0.000000 seconds"
	if run hwclock -r -u -f "$RTC_DEV"; then
		check_near "$1: hwclock -r = host time + offset" $((now + $2)) 2 \
			"$(date -u -D '%a %b %d %H:%M:%S %Y' -d "$(echo "$OUT" | cut -d' ' -f1-5)" +%s)"
	else
		fail "$1: hwclock -r failed"
	fi
}

# Start value, then hwclock -w: the driver writes the system time; the clock
# then runs from it.
rtc_check() { # MODEL OFFSET
	bind rtc-ds1307 "$1" 0x68 rtc-ds1307 || return 1
	rtc_find "$1" || return 1
	rtc_read_check "$1" "$2"
	check_ok "$1: hwclock -w -u -f $RTC_DEV" hwclock -w -u -f "$RTC_DEV"
	sleep 1
	check_near "$1: since_epoch after hwclock -w" "$(date +%s)" 2 "$(cat "$RTC_SYS/since_epoch")"
	check_ok "$1: hwclock -r -u -f $RTC_DEV" hwclock -r -u -f "$RTC_DEV"
}

# Waits (1.5 s at most) for the host's clock to start a new second: host_now
# is then exact to a few ms instead of up to 1 s behind.
host_tick() {
	local t0 i=0
	t0=$(host_now)
	while [ $i -lt 75 ] && [ "$(host_now)" = "$t0" ]; do
		sleep 0.02
		i=$((i + 1))
	done
}

# The guest sets the clock to host time + OFFSET: system time, then hwclock -w
# (which writes whole seconds: the RTC ends up to 1 s behind).
rtc_guest_write() { # MODEL OFFSET
	host_tick
	check_ok "$1: date -u -s (host time + $2 s)" date -u -s "@$(($(host_now) + $2))" &&
		check_ok "$1: hwclock -w -u -f $RTC_DEV" hwclock -w -u -f "$RTC_DEV" &&
		check_near "$1: since_epoch after hwclock -w" $(($(host_now) + $2)) 2 \
			"$(cat "$RTC_SYS/since_epoch")"
}

# Step N with the host; WHAT says what it does.
step() { # N WHAT
	if host_step "$bus" "$1"; then
		pass "host: step $1: $2"
	else
		fail "host: step $1 ($2) not acknowledged, or the host's check failed"
	fi
}

# The second guest has a bus of its own with the DS3231 (the same address as
# the first guest's DS1307) and a mailbox.
if [ "$VM_INDEX" = 1 ]; then
	check_eq "i2cdetect shows exactly the configured addresses" "0x40 0x68" "$(detect_map "$bus")"
	rtc_ok=0
	rtc_check ds3231 "$RTC3231_OFFSET" && rtc_ok=1
	# the driver's hwmon side reads the DS3231's temperature registers
	check_eq "ds3231: temp1_input" 25000 "$(read_attr "$(client_file 0x68 'hwmon/hwmon*/temp1_input')")"
	step 1 "set ds3231 offset"
	[ $rtc_ok = 1 ] && rtc_read_check "ds3231 after set" "$SET_RTC3231_OFFSET"
	[ $rtc_ok = 1 ] && rtc_guest_write ds3231 "$GUEST_RTC3231_OFFSET"
	step 2 "get ds3231 offset = $GUEST_RTC3231_OFFSET"
	finish
	exit
fi
check_eq "i2cdetect shows exactly the configured addresses" "$EXPECT_MAP" "$(detect_map "$bus")"

# --- hwmon sensors ---
tmp102_ok=0 jc42_ok=0 sht3x_ok=0 ads_ok=0 bmp_ok=0 pca_ok=0 rtc_ok=0
bind tmp102 tmp102 0x48 tmp102 && tmp102_ok=1
bind jc42 jc42 0x18 jc42 && jc42_ok=1
bind sht3x sht3x 0x44 sht3x && sht3x_ok=1

# The hwmon sensors read TMP102 JC42 SHT3X-T SHT3X-RH (milli; exact, exact, +-50, +-50).
hwmon_check() { # WHEN TMP102_MC JC42_MC SHT3X_MC SHT3X_MRH
	[ $tmp102_ok = 1 ] &&
		check_eq "tmp102: temp1_input ($1)" "$2" "$(read_attr "$(client_file 0x48 'hwmon/hwmon*/temp1_input')")"
	[ $jc42_ok = 1 ] &&
		check_eq "jc42: temp1_input ($1)" "$3" "$(read_attr "$(client_file 0x18 'hwmon/hwmon*/temp1_input')")"
	if [ $sht3x_ok = 1 ]; then
		check_near "sht3x: temp1_input ($1)" "$4" 50 "$(read_attr "$(client_file 0x44 'hwmon/hwmon*/temp1_input')")"
		check_near "sht3x: humidity1_input ($1)" "$5" 50 "$(read_attr "$(client_file 0x44 'hwmon/hwmon*/humidity1_input')")"
	fi
	return 0
}
hwmon_check start "$TMP102_MC" "$JC42_MC" "$SHT3X_MC" "$SHT3X_MRH"
if [ $sht3x_ok = 1 ]; then
	# limits read at probe: the chip's defaults, high set 60 C / 80 %RH
	check_near "sht3x: temp1_max (alert limit at reset)" 60000 200 "$(read_attr "$(client_file 0x44 'hwmon/hwmon*/temp1_max')")"
	# a second measurement right after the first: the driver waits the measurement time again
	check_near "sht3x: temp1_input again" "$SHT3X_MC" 50 "$(read_attr "$(client_file 0x44 'hwmon/hwmon*/temp1_input')")"
fi

# --- IIO: ADC and pressure sensor ---
bind ti-ads1015 ads1015 0x4a ads1015 && ads_ok=1
bind bmp280-i2c bmp280 0x76 bmp280 && bmp_ok=1

# ADS1015 channel CH: in_voltageCH_raw x in_voltageCH_scale = MV (+-3).
ads_check() { # WHEN CH MV
	local raw scale
	raw=$(read_attr "$(client_file 0x4a "iio:device*/in_voltage${2}_raw")")
	scale=$(read_attr "$(client_file 0x4a "iio:device*/in_voltage${2}_scale")")
	check_near "ads1015: in_voltage${2}_raw x scale ($1; raw $raw, scale $scale)" "$3" 3 \
		"$(awk -v r="$raw" -v s="$scale" 'BEGIN { if (r != "" && s != "") printf("%.3f", r * s) }')"
}

bmp_check() { # WHEN MC KPA
	check_near "bmp280: in_temp_input ($1)" "$2" 20 "$(read_attr "$(client_file 0x76 'iio:device*/in_temp_input')")"
	check_near "bmp280: in_pressure_input (kPa, $1)" "$3" 0.01 "$(read_attr "$(client_file 0x76 'iio:device*/in_pressure_input')")"
}
if [ $ads_ok = 1 ]; then
	ads_check start 0 "$ADS_AIN0_MV"
	ads_check start 3 "$ADS_AIN3_MV"
fi
[ $bmp_ok = 1 ] && bmp_check start "$BMP280_MC" "$BMP280_KPA"

# --- GPIO expander (gpio-pca953x, built out of tree) ---
pca_chip=
if bind gpio-pca953x pca9555 0x20 pca953x; then
	for c in /sys/class/gpio/gpiochip*; do
		[ "$(readlink -f "$c/device")" = "$(readlink -f "$(client_dir "$bus" 0x20)")" ] && pca_chip=$c
	done
	[ -n "$pca_chip" ] || fail "pca9555: no gpiochip under /sys/class/gpio"
fi

# Lines configured as inputs read the levels the host set (INPUTS); lines 1
# and 14, driven by the guest (high, low), show in the input port registers,
# which reflect the pins (read with i2cget -f past the bound driver).
pca_check() { # WHEN INPUTS
	local line expect0 expect1
	for line in 0 2 3 8 9 15; do
		check_eq "pca9555: input line $line ($1)" $((($2 >> line) & 1)) \
			"$(cat "/sys/class/gpio/gpio$((pca_base + line))/value")"
	done
	expect0=$(printf '0x%02x' $((($2 | 0x2) & 0xff)))
	expect1=$(printf '0x%02x' $(((($2 >> 8) & ~0x40) & 0xff)))
	check_out "pca9555: input port 0 shows output line 1 driven high ($1)" "$expect0" i2cget -f -y "$bus" 0x20 0x00
	check_out "pca9555: input port 1 shows output line 14 driven low ($1)" "$expect1" i2cget -f -y "$bus" 0x20 0x01
}
if [ -n "$pca_chip" ]; then
	pca_ok=1
	pca_base=$(cat "$pca_chip/base")
	check_eq "pca9555: 16 lines" 16 "$(cat "$pca_chip/ngpio")"
	for line in 0 1 2 3 8 9 14 15; do
		echo $((pca_base + line)) >/sys/class/gpio/export
		echo in >"/sys/class/gpio/gpio$((pca_base + line))/direction"
		check_eq "pca9555: input line $line" $(((PCA_INPUTS >> line) & 1)) \
			"$(cat "/sys/class/gpio/gpio$((pca_base + line))/value")"
	done
	echo out >"/sys/class/gpio/gpio$((pca_base + 1))/direction"
	echo 1 >"/sys/class/gpio/gpio$((pca_base + 1))/value"
	echo out >"/sys/class/gpio/gpio$((pca_base + 14))/direction"
	echo 0 >"/sys/class/gpio/gpio$((pca_base + 14))/value"
	pca_check start "$PCA_INPUTS"
	check_out "pca9555: configuration port 0 (line 1 output)" 0xfd i2cget -f -y "$bus" 0x20 0x06
	check_out "pca9555: configuration port 1 (line 14 output)" 0xbf i2cget -f -y "$bus" 0x20 0x07
fi

# --- RTC ---
rtc_check ds1307 "$RTC_OFFSET" && rtc_ok=1

# --- Step 1: the host sets new values on every model at run time ---
step 1 "set new values on every model"
hwmon_check "after set" "$SET_TMP102_MC" "$SET_JC42_MC" "$SET_SHT3X_MC" "$SET_SHT3X_MRH"
if [ $ads_ok = 1 ]; then
	ch=0
	for mv in $SET_ADS_MV; do
		ads_check "after set" $ch "$mv"
		ch=$((ch + 1))
	done
fi
[ $bmp_ok = 1 ] && bmp_check "after set" "$SET_BMP280_MC" "$SET_BMP280_KPA"
[ $pca_ok = 1 ] && pca_check "after set" "$SET_PCA_INPUTS"
[ $rtc_ok = 1 ] && rtc_read_check "ds1307 after set" "$SET_RTC_OFFSET"

# --- Step 2: the guest writes the RTC; the host's get shows the offset (and the outputs) ---
[ $rtc_ok = 1 ] && rtc_guest_write ds1307 "$GUEST_RTC_OFFSET"
step 2 "get ds1307 offset = $GUEST_RTC_OFFSET, pca9555 outputs and config"
run i2cdetect -y "$bus"
finish
