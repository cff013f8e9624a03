import type { IrcTexts } from "./irc-types.ts";

export const ircPtBR: IrcTexts = {
  welcome: ({ network, nick }) => `Bem-vindo ao chat ${network}, ${nick}`,
  yourHost: ({ server, version }) => `Seu servidor é ${server}, versão ${version}`,
  created: ({ date }) => `Este servidor foi iniciado em ${date}`,
  isupport: "são suportados por este servidor",
  noMotd: "Não há mensagem do dia",
  endOfList: "Fim da lista /LIST",
  noTopic: "Nenhum tópico definido",
  endOfNames: "Fim da lista /NAMES",
  nickAlphabet:
    "Apelido inválido: apelidos IRC têm letras, dígitos e - [ ] ` _ ^ { | }, sem começar por dígito ou -",
  noNicknameGiven: "Nenhum apelido informado",
  nicknameInUse: "Apelido já em uso (ou parecido demais com um em uso)",
  unknownCommand: "Comando desconhecido",
  needMoreParams: "Parâmetros insuficientes",
  notRegistered: "Você ainda não se registrou",
  alreadyRegistered: "Você já está registrado",
  passwordMismatch: "Senha incorreta",
  noSuchNick: "Apelido inexistente",
  noSuchChannel: "Canal inexistente",
  noRecipient: ({ command }) => `Nenhum destinatário informado (${command})`,
  noTextToSend: "Nenhum texto para enviar",
  inputTooLong: "Linha longa demais",
  invalidCapCommand: "Comando CAP inválido",
  quitReason: {
    quit: "Saiu",
    disconnected: "Conexão encerrada",
    kicked: "Removido pelo operador",
    error: "Desconectado",
  },
  serveListening: ({ url }) => `IRC em ${url}`,
};
