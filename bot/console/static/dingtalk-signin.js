// 钉钉 H5 微应用免登: inside DingTalk the page asks the app for a one-use authCode (JSAPI requestAuthCode) and
// hands it to the server with the state this page was given; the server turns it into the person's userid.
(function () {
  "use strict";
  var body = document.body;
  var corpId = body.getAttribute("data-corp-id");
  var clientId = body.getAttribute("data-client-id");
  var state = body.getAttribute("data-state");
  var status = document.getElementById("status");
  var fallback = document.getElementById("fallback");

  function failed(text) {
    status.textContent = text;
    fallback.hidden = false;
  }

  if (!window.dd || typeof window.dd.requestAuthCode !== "function") {
    failed("没能连接钉钉，请用下面的方式登录。");
    return;
  }
  window.dd.ready(function () {
    window.dd
      .requestAuthCode({ corpId: corpId, clientId: clientId })
      .then(function (result) {
        var query = "app=1&code=" + encodeURIComponent(result.code) + "&state=" + encodeURIComponent(state);
        window.location.replace("/console/auth/dingtalk?" + query);
      })
      .catch(function () {
        failed("钉钉没有确认您的身份，请用下面的方式登录。");
      });
  });
})();
